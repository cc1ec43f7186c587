/**
 * The nonce of a CLI login and the short phrase derived from it.
 *
 * The CLI generates the nonce, prints the phrase and opens the browser with the nonce; the web
 * app derives the same phrase from the nonce in its URL and shows it next to "Approve", so the
 * person can check that the browser is answering the terminal in front of them. Both sides call
 * these functions, so the phrase cannot differ between them. Only Web Crypto is used
 * (`crypto.getRandomValues`, `crypto.subtle`), which browsers and Node 20+ both provide.
 */

/** 256 short, common, distinct words: one byte of the digest picks one word. */
const words = [
  "acorn", "amber", "anchor", "apple", "arrow", "aspen", "atlas", "autumn", "badge", "bamboo", "banjo", "basil", "beacon", "berry", "birch", "bison",
  "blossom", "bonnet", "boulder", "bramble", "breeze", "brook", "bubble", "bucket", "butter", "cabin", "cactus", "candle", "canoe", "canyon", "carpet", "castle",
  "cedar", "cello", "chalk", "cherry", "chess", "cider", "cinder", "circus", "clover", "cobalt", "comet", "copper", "coral", "cotton", "cougar", "crane",
  "cricket", "crystal", "cupcake", "daisy", "delta", "desert", "dingo", "dolphin", "domino", "dragon", "drum", "dune", "eagle", "echo", "ember", "emerald",
  "falcon", "feather", "fern", "fiddle", "fig", "firefly", "fjord", "flame", "flint", "forest", "fossil", "fountain", "fox", "galaxy", "garden", "garnet",
  "gecko", "geyser", "ginger", "glacier", "globe", "granite", "grape", "gravel", "harbor", "harp", "hazel", "heron", "hickory", "honey", "horizon", "hummus",
  "iceberg", "igloo", "indigo", "iris", "island", "ivory", "jade", "jaguar", "jasmine", "jelly", "jigsaw", "juniper", "kayak", "kernel", "kettle", "kiwi",
  "koala", "lagoon", "lantern", "lark", "lava", "lemon", "lentil", "lilac", "lime", "linen", "lizard", "llama", "lobster", "lotus", "lumber", "lynx",
  "magnet", "mango", "maple", "marble", "meadow", "melon", "mesa", "meteor", "mint", "mirror", "mitten", "moose", "mosaic", "moss", "muffin", "nectar",
  "nickel", "nutmeg", "oasis", "oak", "ocean", "olive", "onyx", "opal", "orbit", "orchid", "otter", "owl", "oyster", "paddle", "panda", "papaya",
  "parrot", "peach", "pebble", "pelican", "pepper", "piano", "pickle", "pine", "planet", "plum", "polar", "pony", "poppy", "prairie", "prism", "pumpkin",
  "quartz", "quill", "quince", "rabbit", "radish", "rain", "raven", "reef", "ribbon", "ridge", "river", "robin", "rocket", "rose", "ruby", "saddle",
  "saffron", "sage", "salmon", "sapphire", "satin", "shell", "sierra", "silver", "sketch", "sparrow", "spruce", "squash", "star", "stone", "summit", "sunset",
  "swan", "tangerine", "teapot", "thistle", "thunder", "tiger", "timber", "toast", "topaz", "tortoise", "trumpet", "tulip", "tundra", "turnip", "umber", "valley",
  "velvet", "violet", "volcano", "voyage", "waffle", "walnut", "walrus", "willow", "window", "winter", "wizard", "wombat", "yak", "yarrow", "yeti", "yogurt",
  "zebra", "zenith", "zephyr", "zinc", "zucchini", "acre", "bagel", "cable", "dahlia", "elm", "fable", "gopher", "hammock", "icicle", "jersey", "kiln",
] as const;

/** How many words a phrase has: 4 words of 8 bits each, 32 bits, plenty to tell two logins apart at a glance. */
const PHRASE_WORDS = 4;

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/**
 * A new nonce for a CLI login: 256 random bits from the platform's CSPRNG, base64url without
 * padding (43 characters of `A-Z a-z 0-9 - _`), which is what the transfer and deny endpoints accept.
 */
export function generateNonce(): string {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  return toBase64Url(bytes);
}

/** The words of the nonce's verification phrase: the first bytes of SHA-256(nonce), one word each. */
export async function verificationWords(nonce: string): Promise<string[]> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(nonce)));
  return Array.from(digest.subarray(0, PHRASE_WORDS), (byte) => words[byte]!);
}

/**
 * The short phrase that identifies a CLI login, for example `"maple-otter-quartz-lantern"`.
 * Deterministic: the same nonce gives the same phrase in the terminal and in the browser. It is a
 * check for the person, not a secret (anyone who has the nonce can compute it).
 */
export async function verificationPhrase(nonce: string): Promise<string> {
  return (await verificationWords(nonce)).join("-");
}

/** The word list, for tests: 256 distinct lower-case words. */
export const phraseWordList: readonly string[] = words;
