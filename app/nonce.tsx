// The CSP nonce of the response being rendered. entry.server.tsx provides it; root.tsx passes it to
// <Scripts> and <ScrollRestoration>. In the browser it is empty (browsers hide nonces from the DOM).
import { createContext, useContext } from "react";

const NonceContext = createContext<string>("");
export const NonceProvider = NonceContext.Provider;
export const useNonce = () => useContext(NonceContext);
