import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { captureCliLoginRequest } from "./cli-login-request";
import { captureInvitationToken } from "./invitation-token";
import { appPathOf, hrefOf } from "./router";
import "./styles.css";

// Before anything renders: a CLI login's nonce leaves the address bar at once.
captureCliLoginRequest(appPathOf(window.location.pathname), window.location.search, (path) =>
  window.history.replaceState(null, "", hrefOf(path)),
);

// And an invitation's token leaves it too.
captureInvitationToken(appPathOf(window.location.pathname), window.location.hash, (path) => window.history.replaceState(null, "", hrefOf(path)));

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
