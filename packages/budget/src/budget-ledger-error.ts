import { LoompaError, type LoompaErrorOptions } from '@loompa/core';

/** The cost ledger could not be read or written; `details.file` (and `details.line`) say where. */
export class BudgetLedgerError extends LoompaError {
  constructor(message: string, options: LoompaErrorOptions = {}) {
    super('budget_ledger_failed', message, options);
  }
}
