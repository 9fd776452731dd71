import type { WebReport } from "~/.server/reports/web";

const toneClass = { good: "text-emerald-700", bad: "text-red-700", flat: "text-zinc-500" } as const;

/** A shared client report: light, printable, in the agency's colour; every figure comes formatted from the server. */
export function WebReportView({ report, pdfUrl, expiresAt }: { report: WebReport; pdfUrl: string; expiresAt: string }) {
  const color = report.brand.color;
  const named = report.groups.length > 1;
  return (
    <div className="min-h-screen bg-zinc-100 text-zinc-900" style={{ colorScheme: "light" }}>
      <div className="h-1.5" style={{ background: color }} data-testid="brand-bar" />
      <main className="mx-auto max-w-5xl px-4 py-6 sm:px-6 sm:py-10">
        <header className="flex flex-col gap-4 sm:flex-row sm:items-start">
          {report.brand.logo ? (
            <img src={report.brand.logo} alt={report.brand.name} className="h-10 max-w-[160px] self-start object-contain" data-testid="brand-logo" />
          ) : null}
          <div className="min-w-0 flex-1">
            <p className="text-sm font-semibold" style={{ color }} data-testid="brand-name">
              {report.brand.name}
            </p>
            <h1 className="text-2xl font-semibold tracking-tight">{report.title}</h1>
            <p className="mt-1 text-sm text-zinc-600">
              {report.client} · {report.period}
            </p>
            <p className="mt-0.5 text-xs text-zinc-500">
              {[report.comparison, `Dates in ${report.timezone}`, report.dataAsOf ? `Data as of ${report.dataAsOf}` : "Data not synced yet"]
                .filter(Boolean)
                .join(" · ")}
            </p>
            {report.stale.length ? (
              <p className="mt-1 text-xs text-amber-700">Still syncing or needing attention: {report.stale.join(", ")}. Figures may change.</p>
            ) : null}
          </div>
          <a href={pdfUrl} className="self-start rounded-lg px-3 py-2 text-sm font-semibold text-white" style={{ background: color }}>
            Download PDF
          </a>
        </header>

        {report.groups.length === 0 ? (
          <p className="mt-8 text-sm text-zinc-600">No ad accounts are connected to this client yet, so there is nothing to report.</p>
        ) : null}

        {report.sections.map((section) => {
          if (section === "commentary") {
            return report.commentary ? (
              <section key={section} className="mt-8 rounded-xl bg-white p-5 shadow-sm" aria-label="Commentary">
                <SectionTitle color={color}>Commentary</SectionTitle>
                <p className="whitespace-pre-wrap text-sm leading-6 text-zinc-700">{report.commentary}</p>
              </section>
            ) : null;
          }
          return report.groups.map((g) => {
            const suffix = named ? ` · ${g.currency}` : "";
            const key = `${section}-${g.currency}`;
            switch (section) {
              case "kpis":
                return (
                  <section key={key} className="mt-8" aria-label={`Headline KPIs${suffix}`}>
                    <SectionTitle color={color}>Headline KPIs{suffix}</SectionTitle>
                    <div className="grid grid-cols-2 gap-3 md:grid-cols-4">
                      {g.kpis.map((k) => (
                        <div key={k.name} className="min-w-0 rounded-xl bg-white p-4 shadow-sm" data-testid={`kpi-${g.currency}-${k.name}`}>
                          <p className="text-xs text-zinc-500">{k.label}</p>
                          <p className="mt-1 truncate text-lg font-semibold tabular-nums sm:text-xl" data-testid="kpi-value">
                            {k.value}
                          </p>
                          {k.change ? <p className={`text-xs ${toneClass[k.tone]}`}>{k.change}</p> : null}
                        </div>
                      ))}
                    </div>
                  </section>
                );
              case "daily_chart":
                return (
                  <section key={key} className="mt-8 rounded-xl bg-white p-5 shadow-sm" aria-label={`Daily spend${suffix}`}>
                    <SectionTitle color={color}>Daily spend{suffix}</SectionTitle>
                    <svg
                      viewBox={`0 0 ${Math.max(g.daily.length, 1) * 10} 100`}
                      preserveAspectRatio="none"
                      className="h-40 w-full"
                      role="img"
                      aria-label="Spend per day"
                    >
                      {g.daily.map((d, i) => (
                        <rect key={d.date} x={i * 10 + 1.5} y={100 - d.height * 96} width={7} height={d.height * 96} fill={color}>
                          <title>{`${d.date}: ${d.spend}`}</title>
                        </rect>
                      ))}
                    </svg>
                    <div className="mt-1 flex justify-between text-xs text-zinc-500">
                      <span>{g.daily[0]?.date}</span>
                      <span>{g.daily[g.daily.length - 1]?.date}</span>
                    </div>
                  </section>
                );
              case "campaigns":
              case "platforms":
                return (
                  <section
                    key={key}
                    className="mt-8 rounded-xl bg-white p-5 shadow-sm"
                    aria-label={`${section === "campaigns" ? "Campaigns" : "Platforms"}${suffix}`}
                  >
                    <SectionTitle color={color}>
                      {section === "campaigns" ? "Campaigns" : "Platforms"}
                      {suffix}
                    </SectionTitle>
                    <div className="overflow-x-auto">
                      <table className="w-full min-w-[560px] text-sm">
                        <thead>
                          <tr className="border-b border-zinc-200 text-left text-xs text-zinc-500">
                            <th className="py-2 pr-3 font-medium">Name</th>
                            {g.columns.map((c) => (
                              <th key={c} className="py-2 pl-3 text-right font-medium">
                                {c}
                              </th>
                            ))}
                          </tr>
                        </thead>
                        <tbody>
                          {(section === "campaigns" ? g.campaigns : g.platforms).map((row, i) => (
                            <tr key={`${row.name}-${i}`} className="border-b border-zinc-100 last:border-0">
                              <td className="max-w-[260px] truncate py-2 pr-3">{row.name}</td>
                              {row.cells.map((c, j) => (
                                <td key={j} className="py-2 pl-3 text-right tabular-nums">
                                  {c}
                                </td>
                              ))}
                            </tr>
                          ))}
                        </tbody>
                      </table>
                    </div>
                  </section>
                );
              default:
                return null;
            }
          });
        })}

        <footer className="mt-10 flex flex-wrap justify-between gap-2 text-xs text-zinc-500">
          <span>{report.brand.poweredBy ? `${report.brand.name} · Powered by Spendlane` : report.brand.name}</span>
          <span>This link works until {expiresAt}.</span>
        </footer>
      </main>
    </div>
  );
}

function SectionTitle({ color, children }: { color: string; children: React.ReactNode }) {
  return (
    <h2 className="mb-3 flex items-center gap-2 text-base font-semibold">
      <span className="inline-block h-4 w-1 rounded" style={{ background: color }} />
      {children}
    </h2>
  );
}
