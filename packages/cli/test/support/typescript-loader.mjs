/** Registers ./typescript-hooks.mjs (see there); pass it to `node --import`. */
import { register } from "node:module";

register("./typescript-hooks.mjs", import.meta.url);
