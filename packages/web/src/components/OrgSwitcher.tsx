/** The header's organization switcher: this browser's active org, and a way to make one. */
import { switchOrg, type OrgMembership } from "@harmont/cloud";
import { useId, useState } from "react";
import { harmont, run } from "../api";
import { Link, navigate } from "../router";
import { useSession } from "../session";

const noOrg = "";
const createNew = "__create__";

export function OrgSwitcher({ orgs, active }: { orgs: OrgMembership[]; active: OrgMembership | null }) {
  const { refresh } = useSession();
  const id = useId();
  const [busy, setBusy] = useState(false);

  const choose = async (value: string) => {
    if (value === createNew) {
      navigate("/orgs/new");
      return;
    }
    setBusy(true);
    await run(switchOrg({ client: harmont, body: { org_id: value === noOrg ? null : value } }));
    await refresh();
    setBusy(false);
  };

  return (
    <div className="org-switcher">
      <label className="sr-only" htmlFor={id}>
        Organization
      </label>
      <select id={id} className="org-switcher__select" value={active?.id ?? noOrg} disabled={busy} onChange={(event) => void choose(event.target.value)}>
        <option value={noOrg}>{orgs.length === 0 ? "No organization" : "Personal (no organization)"}</option>
        {orgs.map((org) => (
          <option key={org.id} value={org.id}>
            {org.name}
          </option>
        ))}
        <option value={createNew}>Create organization…</option>
      </select>
      {active ? (
        <Link to={`/orgs/${active.id}`} className="topbar__link org-switcher__manage">
          Manage
        </Link>
      ) : null}
    </div>
  );
}
