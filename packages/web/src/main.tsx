import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { captureCliLoginRequest } from "./cli-login-request";
import { captureCliOpenLink } from "./cli-open-link";
import { captureDeviceLoginCode } from "./device-login-request";
import { captureInvitationToken } from "./invitation-token";
import { captureResetToken } from "./pages/PasswordResetPages";
import { appPathOf, hrefOf } from "./router";
import "./styles.css";

// Before anything renders: a CLI login's nonce leaves the address bar at once.
captureCliLoginRequest(appPathOf(window.location.pathname), window.location.search, (path) =>
  window.history.replaceState(null, "", hrefOf(path)),
);

// And the tokens of invitation and password reset links too, a device login's code, and the code of `harmont open`.
const replaceAddress = (path: string) => window.history.replaceState(null, "", hrefOf(path));
captureDeviceLoginCode(appPathOf(window.location.pathname), window.location.search, replaceAddress);
captureInvitationToken(appPathOf(window.location.pathname), window.location.hash, replaceAddress);
captureResetToken(appPathOf(window.location.pathname), window.location.hash, replaceAddress);
captureCliOpenLink(appPathOf(window.location.pathname), window.location.hash, replaceAddress);

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
