/** The shell (header, footer, skip link, the support session banner, sign-ins waiting for approval) and the table of pages. */
import { AccountDeletedPage } from "./pages/AccountDeletedPage";
import { AccountPage } from "./pages/AccountPage";
import { CliLoginPage } from "./pages/CliLoginPage";
import { CliOpenPage } from "./pages/CliOpenPage";
import { DeviceLoginPage } from "./pages/DeviceLoginPage";
import { DevMailPage } from "./pages/DevMailPage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { CreateOrgPage, InvitationPage, OrgPage } from "./pages/OrgPages";
import { ForgotPasswordPage, ResetPasswordPage } from "./pages/PasswordResetPages";
import { LoginApprovals } from "./components/LoginApprovals";
import { OrgSwitcher } from "./components/OrgSwitcher";
import { SignInPage } from "./pages/SignInPage";
import { SignUpPage } from "./pages/SignUpPage";
import { SupportPage } from "./pages/SupportPage";
import { SupportSessionBanner } from "./components/SupportSessionBanner";
import { LogoMark } from "./components/icons";
import { Button, Loading, Notice, Page } from "./components/ui";
import { hrefOf, Link, Navigate, useLocation } from "./router";
import { SessionProvider, useSession } from "./session";

function Home() {
  const { state } = useSession();
  if (state.status === "signed-in") return <Navigate to="/account" />;
  if (state.status === "signed-out") return <Navigate to="/sign-in" />;
  return <Loading />;
}

function Routes() {
  const { path } = useLocation();
  const { state, refresh } = useSession();
  if (state.status === "loading") return <Loading />;
  if (state.status === "unreachable") {
    return (
      <Page title="Cannot reach the server" heading="Cannot reach the server">
        <Notice tone="error">{state.problem.message}</Notice>
        <div className="actions">
          <Button onClick={() => void refresh()}>Try again</Button>
        </div>
      </Page>
    );
  }
  switch (path) {
    case "/":
      return <Home />;
    case "/sign-in":
      return <SignInPage />;
    case "/sign-up":
      return <SignUpPage />;
    case "/cli-login":
      return <CliLoginPage />;
    case "/cli-open":
      return <CliOpenPage />;
    case "/device":
      return <DeviceLoginPage />;
    case "/account":
      return <AccountPage />;
    case "/account/deleted":
      return <AccountDeletedPage />;
    case "/dev/mail":
      return <DevMailPage />;
    case "/orgs/new":
      return <CreateOrgPage />;
    case "/invitations":
      return <InvitationPage />;
    case "/forgot-password":
      return <ForgotPasswordPage />;
    case "/reset-password":
      return <ResetPasswordPage />;
    case "/support":
      return <SupportPage />;
    default: {
      const org = /^\/orgs\/(org_[A-Za-z0-9_-]{1,40})$/.exec(path);
      return org ? <OrgPage key={org[1]} orgId={org[1]!} /> : <NotFoundPage />;
    }
  }
}

function Header() {
  const { state } = useSession();
  const { path } = useLocation();
  return (
    <header className="topbar">
      <div className="topbar__inner">
        <Link to="/" className="brand">
          <LogoMark className="logo-mark" />
          <span>Harmont</span>
        </Link>
        <nav className="topbar__nav" aria-label="Account">
          {state.status === "signed-in" ? <OrgSwitcher orgs={state.orgs} active={state.activeOrg} /> : null}
          {state.status === "signed-in" ? (
            <Link to="/account" className="topbar__account">
              <span className="avatar" aria-hidden="true">
                {(state.user.name ?? state.user.email).slice(0, 1).toUpperCase()}
              </span>
              <span className="topbar__email">{state.user.email}</span>
            </Link>
          ) : state.status === "signed-out" ? (
            path === "/sign-in" ? (
              <Link to="/sign-up" className="topbar__link">
                Create account
              </Link>
            ) : (
              <Link to="/sign-in" className="topbar__link">
                Sign in
              </Link>
            )
          ) : null}
        </nav>
      </div>
    </header>
  );
}

export function App() {
  return (
    <SessionProvider>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <div className="shell">
        {/* Before the header: in a support session, whose account this is comes first. */}
        <SupportSessionBanner />
        <Header />
        <main id="main" className="main" tabIndex={-1}>
          {/* Above every page: a sign-in waiting for this device's approval cannot wait for the account page. */}
          <LoginApprovals />
          <Routes />
        </main>
        <footer className="footer">
          <span>Harmont</span>
          <span aria-hidden="true">·</span>
          <a href={hrefOf("/docs")}>API reference</a>
        </footer>
      </div>
    </SessionProvider>
  );
}
