// The Loompa dashboard: plain JavaScript, no build step. Every value from the server becomes
// text through the DOM (never markup), so hostile issue titles and agent output stay text.
// The board is live through the API's server-sent events, read with fetch so the bearer
// token can travel in a header; nothing polls the server.

const tokenStorageKey = 'loompa-api-token';
const columns = [
  ['queued', 'Queued'],
  ['running', 'Running'],
  ['awaiting', 'Awaiting checks / review'],
  ['reacting', 'Reacting'],
  ['blocked', 'Blocked'],
  ['done', 'Done'],
];
const transcriptLimit = 1000;
/** How a failed check stands, in words (`CheckFailureState` in core). */
const checkStateText = {
  failing: 'failing',
  'rerun-requested': 're-run requested',
  rerunning: 're-running, awaiting the result',
  'passed-on-rerun': 'passed on re-run',
  'sent-to-agent': 'sent to the agent',
};
const triageStageText = {
  'reading-logs': 'reading logs',
  analysing: 'agent analysing',
  filing: 'filing the issue',
  filed: 'issue filed',
  commented: 'occurrence added',
  failed: 'failed',
};

const state = { board: null, item: null, itemIdentifier: null, connection: null };

// ------------------------------------------------------------------ token

/** A token in the address fragment (`#token=…`, never sent to servers) is kept for this tab only. */
function takeTokenFromFragment() {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!match) return;
  sessionStorage.setItem(tokenStorageKey, decodeURIComponent(match[1]));
  history.replaceState(null, '', location.pathname + location.search);
}

function authorizationHeaders() {
  const token = sessionStorage.getItem(tokenStorageKey);
  return token ? { authorization: `Bearer ${token}` } : {};
}

function askForToken() {
  document.getElementById('token-form').hidden = false;
}

// ------------------------------------------------------------------ DOM helpers

/** An element with attributes and children; strings become text nodes. */
function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== null && value !== undefined && value !== false) node.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
  return node;
}

/** Only http(s) links are followed: a `javascript:` URL from a forge or tracker stays text. */
function safeUrl(url) {
  try {
    const parsed = new URL(url, location.href);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
  } catch {
    return null;
  }
}

function formatElapsed(since) {
  const seconds = Math.max(0, Math.round((Date.now() - new Date(since).getTime()) / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

function formatTokens(usage) {
  if (!usage) return '0';
  const total = usage.inputTokens + usage.outputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
  return total >= 10_000 ? `${(total / 1000).toFixed(1)}k` : String(total);
}

const formatUsd = (value) => `$${Number(value ?? 0).toFixed(2)}`;

function elapsedSpan(since) {
  return element('span', { class: 'elapsed', 'data-since': since }, formatElapsed(since));
}

function showNotice(text, isError = false) {
  const notice = document.getElementById('notice');
  notice.textContent = text;
  notice.classList.toggle('error', isError);
  notice.hidden = !text;
}

// ------------------------------------------------------------------ API

async function callApi(path, options = {}) {
  const response = await fetch(`/api/v1/${path}`, {
    ...options,
    headers: { ...authorizationHeaders(), ...(options.body ? { 'content-type': 'application/json' } : {}) },
  });
  const body = await response.json().catch(() => null);
  if (response.status === 401 || body?.error?.code === 'token_not_configured') askForToken();
  if (!response.ok) throw new Error(body?.error?.message ?? `${response.status} ${response.statusText}`);
  return body;
}

async function control(path, body) {
  try {
    await callApi(path, { method: 'POST', body: JSON.stringify(body ?? {}) });
    showNotice('');
  } catch (error) {
    showNotice(error.message, true);
  }
}

// ------------------------------------------------------------------ board

/** Each work item once, in the column of its phase. */
function cardsByPhase(board) {
  const snapshot = board.snapshot;
  const phases = Object.fromEntries(columns.map(([phase]) => [phase, []]));
  for (const item of snapshot.queued) phases.queued.push({ phase: 'queued', item });
  for (const item of snapshot.retrying) phases.queued.push({ phase: 'queued', item, retry: true });
  for (const item of snapshot.running) {
    const phase = item.phase === 'reacting' ? 'reacting' : 'running';
    phases[phase].push({ phase, item });
  }
  for (const item of snapshot.awaiting) phases.awaiting.push({ phase: 'awaiting', item });
  for (const item of snapshot.blocked) phases.blocked.push({ phase: 'blocked', item });
  for (const item of board.done) phases.done.push({ phase: 'done', item });
  return phases;
}

function changeRequestLine(item) {
  if (!item.changeRequestUrl && !item.branch) return null;
  const url = item.changeRequestUrl ? safeUrl(item.changeRequestUrl) : null;
  const label = item.changeRequestUrl ?? item.branch;
  const status = item.status
    ? ` · checks ${item.status.checks} · review ${item.status.review} · ${item.status.mergeability}`
    : '';
  return element(
    'div',
    { class: 'change-request' },
    url ? element('a', { href: url, rel: 'noreferrer noopener', target: '_blank' }, label) : label,
    status,
  );
}

/** What the awaiting card says of each failed check: its classification and where it stands. */
function checksLine(item) {
  if (!item.checks || item.checks.length === 0) return null;
  return element(
    'div',
    { class: 'checks' },
    item.checks
      .map(
        (check) =>
          `${check.checkName}: ${check.classification}, ${checkStateText[check.state] ?? check.state}`,
      )
      .join(' · '),
  );
}

function card({ phase, item, retry }) {
  const meta = [];
  if (item.focus || item.profile) meta.push(`${item.focus ?? 'general'} · ${item.profile ?? 'default'}`);
  if (item.attempt !== undefined && item.attempt !== null) meta.push(`attempt ${item.attempt}`);
  if (item.usage) meta.push(`${formatTokens(item.usage)} tokens · ${formatUsd(item.costUsd)}`);
  if (item.lastEvent) meta.push(`last: ${item.lastEvent}`);
  const since = item.startedAt ?? item.since ?? item.at ?? null;
  const waiting = retry
    ? `retry ${item.attempt} at ${new Date(item.dueAt).toLocaleTimeString()}: ${item.reason}`
    : (item.waitingFor ?? item.reason ?? null);
  return element(
    'li',
    {},
    element(
      'a',
      {
        class: 'card',
        href: `#/item/${encodeURIComponent(item.identifier)}`,
        'data-issue': item.identifier,
        'data-phase': phase,
        'data-tokens': item.usage ? formatTokens(item.usage) : null,
      },
      element('div', { class: 'identifier' }, item.identifier, ' ', since ? elapsedSpan(since) : null),
      item.title && item.title !== item.identifier ? element('div', { class: 'title' }, item.title) : null,
      meta.length > 0 ? element('div', { class: 'meta' }, meta.join(' · ')) : null,
      changeRequestLine(item),
      checksLine(item),
      waiting ? element('div', { class: 'waiting' }, waiting) : null,
    ),
  );
}

function renderBudget(budget, snapshot) {
  const container = document.getElementById('budget');
  const gauges = (budget?.limits ?? []).map((limit) =>
    element(
      'div',
      { class: 'gauge', 'data-limit': limit.limit },
      element(
        'div',
        {},
        `${limit.limit}${limit.scopeName ? ` (${limit.scopeName})` : ''} · ${limit.period}: ${formatUsd(limit.spentUsd)} of ${formatUsd(limit.limitUsd)}`,
      ),
      element('meter', {
        min: 0,
        max: limit.limitUsd,
        value: Math.min(limit.spentUsd, limit.limitUsd),
        high: limit.limitUsd * 0.8,
        optimum: 0,
      }),
    ),
  );
  if (gauges.length === 0)
    gauges.push(element('span', {}, budget ? 'No budget limits' : 'No budget configured'));
  if (snapshot.budget.paused)
    gauges.push(element('span', { class: 'budget-paused' }, `Budget paused: ${snapshot.budget.reason}`));
  container.replaceChildren(...gauges);
}

function renderHeader(snapshot) {
  const dispatch = document.getElementById('dispatch-state');
  const paused = snapshot.pause.paused;
  dispatch.dataset.state = paused ? 'paused' : 'dispatching';
  dispatch.textContent = paused
    ? `paused${snapshot.pause.all ? ' (all)' : ''}${snapshot.pause.reason ? `: ${snapshot.pause.reason}` : ''}`
    : 'dispatching';
  document.getElementById('pause').disabled = paused;
  document.getElementById('pause-all').disabled = paused && snapshot.pause.all;
  document.getElementById('resume').disabled = !paused;
  const workflow = document.getElementById('workflow-state');
  workflow.dataset.state = snapshot.workflow.valid ? 'valid' : 'invalid';
  workflow.textContent = snapshot.workflow.valid ? 'workflow valid' : 'workflow invalid';
  const workflowError = document.getElementById('workflow-error');
  workflowError.hidden = !snapshot.workflow.error;
  workflowError.textContent = snapshot.workflow.error
    ? `WORKFLOW.md could not be reloaded; the last valid workflow keeps running:\n${snapshot.workflow.error}`
    : '';
  const totals = snapshot.totals;
  document.getElementById('totals').textContent =
    `${totals.runs} runs · ${formatTokens(totals.usage)} tokens · ${formatUsd(totals.costUsd)}`;
}

/** A tracker issue Loompa filed: a link when its address is http(s), its identifier otherwise. */
function issueLink(issue) {
  if (!issue) return null;
  const url = issue.url ? safeUrl(issue.url) : null;
  return url
    ? element(
        'a',
        { class: 'issue-link', href: url, rel: 'noreferrer noopener', target: '_blank' },
        issue.identifier,
      )
    : element('span', { class: 'issue-link' }, issue.identifier);
}

/** What the triage's agent run spent; a known cause runs no agent. */
function triageSpend(run) {
  if (run.costUsd === null && run.usage === null) return run.stage === 'commented' ? 'no agent run' : null;
  const cost = run.costUsd === null ? 'cost not reported' : formatUsd(run.costUsd);
  return `${cost}${run.usage ? ` · ${formatTokens(run.usage)} tokens` : ''}`;
}

function triageRunItem(run) {
  const runUrl = run.runUrl ? safeUrl(run.runUrl) : null;
  const workflow = runUrl
    ? element('a', { href: runUrl, rel: 'noreferrer noopener', target: '_blank' }, run.workflow)
    : run.workflow;
  return element(
    'li',
    { 'data-run': run.runId, 'data-stage': run.stage },
    element(
      'div',
      {},
      workflow,
      ` at ${run.headSha.slice(0, 12)} · ${triageStageText[run.stage] ?? run.stage}`,
      ' ',
      issueLink(run.trackerIssue),
    ),
    element(
      'div',
      { class: 'meta' },
      [
        run.fingerprint ? `cause ${run.fingerprint}` : null,
        triageSpend(run),
        run.failed ? `failed: ${run.failed}` : null,
      ]
        .filter(Boolean)
        .join(' · '),
    ),
  );
}

function renderContinuousIntegration(snapshot) {
  const ci = snapshot.continuousIntegration;
  if (!ci) return;
  const triage = ci.triage;
  document.getElementById('ci-triage-summary').textContent =
    triage.workflows.length === 0
      ? 'Not watching any workflow (triage.workflows in WORKFLOW.md).'
      : `Watching ${triage.workflows.join(', ')} · ${triage.runsSeen} run${triage.runsSeen === 1 ? '' : 's'} seen, ${triage.failedRunsSeen} failed${triage.lastLookAt ? ` · last look ${new Date(triage.lastLookAt).toLocaleTimeString()}` : ''}`;
  const budget = document.getElementById('ci-triage-budget');
  budget.hidden = !triage.budgetDenied;
  budget.textContent = triage.budgetDenied ? `Triage waits for the budget: ${triage.budgetDenied}` : '';
  const runs = [...triage.inProgress, ...triage.finished];
  document
    .getElementById('ci-triage-runs')
    .replaceChildren(
      ...(runs.length === 0 ? [element('li', {}, 'no triage runs yet')] : runs.map(triageRunItem)),
    );
  document
    .getElementById('ci-flaky-tests')
    .replaceChildren(
      ...(ci.flakyTests.length === 0
        ? [element('li', {}, 'no flaky tests recorded')]
        : ci.flakyTests.map((test) =>
            element(
              'li',
              { 'data-fingerprint': test.fingerprint },
              element('div', {}, test.testName ?? test.checkName, ' ', issueLink(test.trackerIssue)),
              element(
                'div',
                { class: 'meta' },
                `check ${test.checkName} · ${test.occurrences} occurrence${test.occurrences === 1 ? '' : 's'}${test.lastSeenAt ? ` · last ${new Date(test.lastSeenAt).toLocaleString()}` : ''}`,
              ),
            ),
          )),
    );
}

function renderBoard(board) {
  renderHeader(board.snapshot);
  renderBudget(board.budget, board.snapshot);
  renderContinuousIntegration(board.snapshot);
  const phases = cardsByPhase(board);
  document
    .getElementById('board')
    .replaceChildren(
      ...columns.map(([phase, title]) =>
        element(
          'section',
          { class: 'column', 'data-column': phase },
          element('h2', {}, `${title} (${phases[phase].length})`),
          element('ol', {}, phases[phase].map(card)),
        ),
      ),
    );
  if (state.itemIdentifier) renderItemFacts();
}

// ------------------------------------------------------------------ item page

/** The item as the board knows it now: its phase and the snapshot entry. */
function itemOnBoard(identifier) {
  if (!state.board) return null;
  const wanted = identifier.toLowerCase();
  for (const [phase, cards] of Object.entries(cardsByPhase(state.board))) {
    const found = cards.find((entry) => entry.item.identifier.toLowerCase() === wanted);
    if (found) return { ...found, phase };
  }
  return null;
}

function whyItWaits(entry) {
  if (!entry) return 'Loompa holds nothing for this issue now.';
  const { phase, item, retry } = entry;
  const pause = state.board.snapshot.pause;
  if (phase === 'queued' && retry) return `Waiting to retry (attempt ${item.attempt}): ${item.reason}`;
  if (phase === 'queued' && pause.paused) return 'Queued: dispatch is paused.';
  if (phase === 'queued') return 'Queued: waiting for a free agent slot or the budget.';
  if (phase === 'awaiting')
    return `Waiting for ${item.waitingFor ?? 'the first status of its change request'}.`;
  if (phase === 'blocked') return `Blocked, needs a person: ${item.reason}`;
  if (phase === 'done') return `Done: ${item.reason}`;
  return `The agent is ${item.phase}.`;
}

function renderItemFacts() {
  const identifier = state.itemIdentifier;
  const entry = itemOnBoard(identifier);
  const item = entry?.item ?? {};
  document.getElementById('item-title').textContent = item.title
    ? `${item.identifier}: ${item.title}`
    : identifier;
  document.getElementById('item-status').textContent = entry ? `Phase: ${entry.phase}` : 'Phase: —';
  document.getElementById('item-waiting').textContent = whyItWaits(entry);
  document.getElementById('item-retry').disabled = !(entry?.phase === 'blocked' || entry?.retry);
  document.getElementById('item-cancel').disabled = !(
    entry?.phase === 'running' ||
    entry?.phase === 'reacting' ||
    entry?.retry
  );
  document.getElementById('item-approve').disabled = entry?.phase !== 'awaiting';
  const facts = [];
  const fact = (name, value) => {
    if (value !== null && value !== undefined && value !== '')
      facts.push(element('dt', {}, name), element('dd', {}, String(value)));
  };
  fact('Focus', item.focus);
  fact('Profile', item.profile);
  fact('Agent', item.agentKind && `${item.agentKind}${item.model ? ` (${item.model})` : ''}`);
  fact('Attempt', item.attempt);
  fact('Turns', item.turns);
  fact('Tokens', item.usage && formatTokens(item.usage));
  fact('Cost', item.costUsd !== undefined ? formatUsd(item.costUsd) : null);
  fact('Branch', item.branch);
  fact('Change request', item.changeRequestUrl);
  if (item.status)
    fact(
      'Checks · review · mergeability',
      `${item.status.checks} · ${item.status.review} · ${item.status.mergeability}`,
    );
  document.getElementById('item-facts').replaceChildren(...facts);
  renderItemChecks(identifier);
}

/** The item's CI card: each failed check of its head with its classification and state. */
function renderItemChecks(identifier) {
  const wanted = identifier.toLowerCase();
  const report = state.board?.snapshot.continuousIntegration?.checks.find(
    (entry) => entry.identifier.toLowerCase() === wanted,
  );
  document.getElementById('item-ci-head').textContent = report
    ? `Failed checks on ${report.headSha ? report.headSha.slice(0, 12) : 'the head'}:`
    : 'No failed checks on the current head.';
  document.getElementById('item-ci-checks').replaceChildren(
    ...(report?.checks ?? []).map((check) =>
      element(
        'li',
        {
          'data-check': check.checkName,
          'data-classification': check.classification,
          'data-state': check.state,
        },
        element(
          'div',
          {},
          element('strong', {}, check.checkName),
          `: ${check.classification} · ${checkStateText[check.state] ?? check.state}`,
        ),
        element(
          'div',
          { class: 'meta' },
          check.testName ? `${check.reason} (test ${check.testName})` : check.reason,
        ),
      ),
    ),
  );
}

function transcriptLine(entry) {
  const prefix = entry.kind === 'tool-call' ? '→ ' : entry.kind === 'tool-result' ? '← ' : '';
  return element(
    'li',
    { 'data-kind': entry.kind, title: new Date(entry.at).toLocaleString() },
    prefix + entry.text,
  );
}

function appendTranscript(entry) {
  const list = document.getElementById('item-transcript');
  list.append(transcriptLine(entry));
  while (list.children.length > transcriptLimit) list.firstElementChild.remove();
}

function renderReactions(reactions) {
  const list = document.getElementById('item-reactions');
  list.replaceChildren(
    ...(reactions.length === 0
      ? [element('li', {}, 'none yet')]
      : reactions.map((reaction) =>
          element(
            'li',
            {},
            `${new Date(reaction.at).toLocaleTimeString()} ${reaction.reaction} (round ${reaction.attempt})`,
          ),
        )),
  );
}

async function openItem(identifier) {
  state.itemIdentifier = identifier;
  state.reactions = [];
  document.getElementById('board-view').hidden = true;
  document.getElementById('item-view').hidden = false;
  document.getElementById('item-transcript').replaceChildren();
  renderItemFacts();
  try {
    const item = await callApi(encodeURIComponent(identifier));
    if (state.itemIdentifier !== identifier) return;
    for (const entry of item.history?.entries ?? []) appendTranscript(entry);
    state.reactions = item.history?.reactions ?? [];
    renderReactions(state.reactions);
  } catch (error) {
    renderReactions([]);
    showNotice(error.message, true);
  }
}

/** Agent output and item events of the open item, as they arrive. */
function onItemEvent(line) {
  if (!state.itemIdentifier || line.issue?.toLowerCase() !== state.itemIdentifier.toLowerCase()) return;
  if (line.type === 'agent-event') {
    const event = line.payload.event;
    const entry =
      event.type === 'text'
        ? { kind: 'text', text: event.text }
        : event.type === 'tool-call'
          ? { kind: 'tool-call', text: `${event.toolName} ${JSON.stringify(event.input)}` }
          : event.type === 'tool-result'
            ? { kind: 'tool-result', text: `${event.isError ? '(error) ' : ''}${event.output}` }
            : event.type === 'error'
              ? { kind: 'error', text: `${event.error.kind}: ${event.error.message}` }
              : null;
    if (entry) appendTranscript({ at: line.at, ...entry });
    return;
  }
  if (line.type === 'reaction-started') {
    state.reactions.push({ at: line.at, reaction: line.payload.reaction, attempt: line.payload.attempt });
    renderReactions(state.reactions);
  }
  if (line.type !== 'usage')
    appendTranscript({ at: line.at, kind: 'event', text: line.type.replaceAll('-', ' ') });
}

function route() {
  const match = /^#\/item\/(.+)$/.exec(location.hash);
  if (match) {
    void openItem(decodeURIComponent(match[1]));
    return;
  }
  state.itemIdentifier = null;
  document.getElementById('item-view').hidden = true;
  document.getElementById('board-view').hidden = false;
}

// ------------------------------------------------------------------ live stream

function setConnection(name, text) {
  const pill = document.getElementById('connection');
  pill.dataset.state = name;
  pill.textContent = text;
}

/** Reads the event stream; reconnects after a pause growing to 10 s when it ends. */
async function connect(attempt = 0) {
  const controller = new AbortController();
  state.connection = controller;
  try {
    const response = await fetch('/api/v1/events?board=1', {
      headers: authorizationHeaders(),
      signal: controller.signal,
    });
    if (response.status === 401 || response.status === 403) {
      const body = await response.json().catch(() => null);
      setConnection('offline', 'not authorized');
      showNotice(body?.error?.message ?? 'Not authorized', true);
      askForToken();
      return;
    }
    if (!response.ok || !response.body) throw new Error(`${response.status}`);
    setConnection('live', 'live');
    attempt = 0;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end = buffer.indexOf('\n\n');
      while (end !== -1) {
        dispatchMessage(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
      }
    }
  } catch {
    if (controller.signal.aborted) return;
  }
  setConnection('offline', 'reconnecting…');
  setTimeout(() => connect(attempt + 1), Math.min(10_000, 500 * 2 ** attempt));
}

function dispatchMessage(block) {
  let name = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event: ')) name = line.slice(7);
    else if (line.startsWith('data: ')) data.push(line.slice(6));
  }
  if (data.length === 0) return;
  const payload = JSON.parse(data.join('\n'));
  if (name === 'board') {
    state.board = payload;
    renderBoard(payload);
    document.body.dataset.boardAt = payload.snapshot.at;
  } else {
    onItemEvent(payload);
  }
}

// ------------------------------------------------------------------ start

function start() {
  takeTokenFromFragment();
  document
    .getElementById('pause')
    .addEventListener('click', () => control('pause', { reason: 'paused from the dashboard' }));
  document
    .getElementById('pause-all')
    .addEventListener('click', () =>
      control('pause', { all: true, reason: 'paused everything from the dashboard' }),
    );
  document.getElementById('resume').addEventListener('click', () => control('resume'));
  const itemAction = (action, body) => () =>
    control(`${encodeURIComponent(state.itemIdentifier)}/${action}`, body);
  document.getElementById('item-retry').addEventListener('click', itemAction('retry'));
  document.getElementById('item-cancel').addEventListener('click', itemAction('cancel'));
  document
    .getElementById('item-approve')
    .addEventListener('click', itemAction('approve', { reviewer: 'dashboard' }));
  document.getElementById('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(tokenStorageKey, document.getElementById('token-input').value);
    document.getElementById('token-form').hidden = true;
    showNotice('');
    state.connection?.abort();
    void connect();
  });
  window.addEventListener('hashchange', route);
  // Elapsed times tick here, in the page; the server is not asked.
  setInterval(() => {
    for (const span of document.querySelectorAll('[data-since]'))
      span.textContent = formatElapsed(span.dataset.since);
  }, 1000);
  route();
  void connect();
}

start();
