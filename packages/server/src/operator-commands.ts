/**
 * Operator commands: `harmont-server users create` and `harmont-server users disable`. A
 * password is read from standard input (piped) or a prompt that does not echo, never from argv,
 * where other users of the machine could read it in the process list.
 */
import { createInterface } from "node:readline";
import pino from "pino";
import { Writable } from "node:stream";
import { createUserAsOperator, disableUser } from "./auth/accounts.js";
import { passwordProblemMessages } from "./auth/passwords.js";
import type { Config } from "./config.js";
import { buildServer, createLogger } from "./server.js";

export const operatorUsage = [
  "  harmont-server users create --email <email> [--name <name>]",
  "                                 create a verified account; the password is read from stdin or a prompt",
  "  harmont-server users disable --email <email>",
  "                                 disable an account and revoke all its sessions at once",
].join("\n");

function readOption(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  if (index >= 0) return args[index + 1];
  const inline = args.find((arg) => arg.startsWith(`${name}=`));
  return inline?.slice(name.length + 1);
}

async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
  }
  const ask = async (question: string): Promise<string> => {
    process.stderr.write(question);
    let muted = true;
    const output = new Writable({
      write(chunk, _encoding, callback) {
        if (!muted) process.stderr.write(chunk);
        callback();
      },
    });
    const prompt = createInterface({ input: process.stdin, output, terminal: true });
    const answer = await new Promise<string>((resolve) => prompt.question("", resolve));
    muted = false;
    prompt.close();
    process.stderr.write("\n");
    return answer;
  };
  const first = await ask("Password: ");
  const second = await ask("Repeat the password: ");
  if (first !== second) throw new Error("the passwords do not match");
  return first;
}

const operatorMeta = { ip: null, userAgent: "harmont-server (operator)", requestId: null, actor: null };

/** Runs an operator command; returns the exit code. */
export async function runOperatorCommand(args: string[], config: Config): Promise<number> {
  const [group, action, ...rest] = args;
  if (group !== "users" || (action !== "create" && action !== "disable")) {
    process.stderr.write(`harmont-server: unknown command "${args.join(" ")}"\n\nCommands:\n${operatorUsage}\n`);
    return 2;
  }
  const email = readOption(rest, "--email");
  if (!email) {
    process.stderr.write(`harmont-server: --email is required\n\n${operatorUsage}\n`);
    return 2;
  }
  // stdout is the command's answer; diagnostics go to stderr.
  const logger = createLogger({ logLevel: "error" }, pino.destination(2));
  const built = await buildServer(config, { logger });
  try {
    if (action === "create") {
      let password: string;
      try {
        password = await readPassword();
      } catch (error) {
        process.stderr.write(`harmont-server: ${(error as Error).message}\n`);
        return 1;
      }
      const result = await createUserAsOperator(built.deps.auth, { email, password, name: readOption(rest, "--name") }, operatorMeta);
      if (!result.ok) {
        const reason =
          result.failure === "email_taken"
            ? "an account with this email already exists"
            : result.failure === "invalid_email"
              ? "not a valid email address"
              : passwordProblemMessages[result.failure];
        process.stderr.write(`harmont-server: ${reason}\n`);
        return 1;
      }
      process.stdout.write(`created ${result.value.email} (${result.value.id})\n`);
      return 0;
    }
    const result = await disableUser(built.deps.auth, email, operatorMeta);
    if (!result.ok) {
      process.stderr.write("harmont-server: no account with this email\n");
      return 1;
    }
    process.stdout.write(`disabled ${email}; revoked ${result.value.sessionsRevoked} session(s)\n`);
    return 0;
  } finally {
    await built.close();
  }
}
