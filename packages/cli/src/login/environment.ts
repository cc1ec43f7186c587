/**
 * Whether a browser on this machine can finish a login. Opening a browser "succeeds" in many
 * places where nobody will ever see it (an SSH session, a CI runner, a Linux box without a
 * display), so the login picks a paste code there instead of waiting for a page nobody sees.
 */

export type BrowserSupport = { browser: true } | { browser: false; reason: string };

type Env = Record<string, string | undefined>;

const isSet = (value: string | undefined) => value !== undefined && value.trim() !== "";

/** Whether `CI` says this is a CI run (`CI=false` and `CI=0` say it is not). */
export function isContinuousIntegration(env: Env): boolean {
  const value = env.CI?.trim().toLowerCase();
  return value !== undefined && value !== "" && value !== "false" && value !== "0";
}

/**
 * Decides whether a local browser can be used, from the environment alone:
 * SSH (`SSH_CONNECTION`, `SSH_TTY`), CI (`CI`), and Linux without `DISPLAY` or `WAYLAND_DISPLAY`
 * all mean "no". Opening can still fail where this says "yes"; the login falls back then too.
 */
export function detectBrowserSupport(env: Env = process.env, platform: NodeJS.Platform = process.platform): BrowserSupport {
  if (isSet(env.SSH_CONNECTION) || isSet(env.SSH_TTY)) {
    return { browser: false, reason: "this is an SSH session, so a browser here would open on the remote machine" };
  }
  if (isContinuousIntegration(env)) return { browser: false, reason: "this looks like CI (CI is set)" };
  if ((platform === "linux" || platform === "freebsd" || platform === "openbsd") && !isSet(env.DISPLAY) && !isSet(env.WAYLAND_DISPLAY)) {
    return { browser: false, reason: "there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)" };
  }
  return { browser: true };
}
