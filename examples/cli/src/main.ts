import { CommanderError } from 'commander';
import { type ExitCode, exitCodes } from './exit-codes.js';
import { createLoompaProgram } from './loompa-program.js';

/** Codes commander uses when it printed help or the version on request. */
const informationalCodes = new Set(['commander.helpDisplayed', 'commander.version']);

/** Runs `loompa` with the arguments after the program name; resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<ExitCode> {
  let exitCode: ExitCode = exitCodes.success;
  const program = createLoompaProgram((code) => {
    exitCode = code;
  });
  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return exitCodes.usage;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (informationalCodes.has(error.code)) return exitCodes.success;
      // `loompa task` alone prints the task help: not an error of the person, but not a success either.
      return exitCodes.usage;
    }
    // Core is loaded only now: help and usage errors never need it, and it is most of start-up.
    const { LoompaError } = await import('@loompa/core');
    // Bad input found by a library (an unknown status, an empty title) is a usage error.
    if (LoompaError.hasCode(error, 'invalid_argument')) {
      process.stderr.write(`loompa: ${(error as Error).message}\n`);
      return exitCodes.usage;
    }
    process.stderr.write(
      `loompa: ${LoompaError.isInstance(error) ? `${error.message} [${error.code}]` : error instanceof Error ? error.message : String(error)}\n`,
    );
    return exitCodes.failure;
  }
}
