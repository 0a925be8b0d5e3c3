/**
 * A fetch or push against a repository that is also someone's checkout (the orchestrator's own,
 * when workers share its machine) can meet a worktree being added there, whose HEAD git reads
 * before it is written ("bad object worktrees/…/HEAD"). That lasts milliseconds: try again.
 */
export async function retried<Result>(work: () => Promise<Result>, attempts = 4): Promise<Result> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
    }
  }
}
