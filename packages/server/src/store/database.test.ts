import SqliteDatabase from "better-sqlite3";
import { describe, expect, it, onTestFinished } from "vitest";
import { compilingEachStatementOnce, PREPARED_STATEMENTS_KEPT } from "./database.js";

function countingCompiles() {
  const database = new SqliteDatabase(":memory:");
  onTestFinished(() => void database.close());
  const compiled: string[] = [];
  const prepare = database.prepare.bind(database);
  database.prepare = ((sql: string) => {
    compiled.push(sql);
    return prepare(sql);
  }) as typeof database.prepare;
  return { writer: compilingEachStatementOnce(database), compiled };
}

describe("the SQLite writer's statements", () => {
  it("are compiled once per SQL text and reused, with their results intact", () => {
    const { writer, compiled } = countingCompiles();
    writer.prepare("create table t (n integer)").run();
    for (let n = 0; n < 3; n++) writer.prepare("insert into t (n) values (?)").run(n);
    expect(writer.prepare("select sum(n) as total from t").get()).toEqual({ total: 3 });
    expect(writer.prepare("select sum(n) as total from t").get()).toEqual({ total: 3 });
    expect(compiled).toEqual(["create table t (n integer)", "insert into t (n) values (?)", "select sum(n) as total from t"]);
  });

  it("keep at most the bound, dropping the least recently used", () => {
    const { writer, compiled } = countingCompiles();
    for (let n = 0; n < PREPARED_STATEMENTS_KEPT; n++) writer.prepare(`select ${n}`);
    writer.prepare("select 0"); // used again: now the most recent
    writer.prepare("select 'one too many'"); // drops `select 1`, the least recently used
    compiled.length = 0;
    writer.prepare("select 0");
    writer.prepare("select 2");
    expect(compiled).toEqual([]);
    writer.prepare("select 1");
    expect(compiled).toEqual(["select 1"]);
  });
});
