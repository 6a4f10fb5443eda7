import { openSqliteSpool } from "../../../src/spool/index.ts";
import { runSpoolContract } from "../../contract/spool.contract.ts";

runSpoolContract({
  name: "SqliteSpool",
  create: ({ path, clock, commitIntervalMs }) => openSqliteSpool({ path, clock, commitIntervalMs }),
});
