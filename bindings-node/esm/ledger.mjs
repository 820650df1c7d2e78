import cjs from '../dist/ledger.js';

export const { decide, MemoryLedger, PostgresLedger, LEDGER_TABLE, LEDGER_TABLE_SQL } = cjs;
export default cjs;
