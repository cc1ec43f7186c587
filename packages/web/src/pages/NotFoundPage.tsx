import { Link } from "../router";
import { Page } from "../components/ui";

export function NotFoundPage() {
  return (
    <Page title="Page not found" heading="Page not found" lead="There is nothing at this address.">
      <p>
        <Link to="/">Go to the start page</Link>
      </p>
    </Page>
  );
}
