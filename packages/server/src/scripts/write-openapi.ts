/** npm run generate (server part): writes openapi/openapi.json at the repository root. */
import { writeFileSync } from "node:fs";
import { renderOpenApiDocument } from "../openapi-document.js";

const target = new URL("../../../../openapi/openapi.json", import.meta.url);
writeFileSync(target, await renderOpenApiDocument());
process.stdout.write(`wrote ${target.pathname.replace(/.*\/(openapi\/)/, "$1")}\n`);
