/** Logo uploads are checked with the PDF renderer itself, so a logo that saves is a logo that renders. */
import PDFDocument from "pdfkit";

/** Whether pdfkit can embed these image bytes (used to validate logo uploads). */
export function pdfCanEmbedImage(bytes: Buffer): boolean {
  try {
    // openImage is public pdfkit API (decodes without drawing) but missing from @types/pdfkit
    const doc = new PDFDocument({ autoFirstPage: false }) as PDFKit.PDFDocument & { openImage(src: Buffer): unknown };
    doc.openImage(bytes);
    return true;
  } catch {
    return false;
  }
}
