// Live updates over SignalR (/hubs/gaps). The server decides which teams this browser hears about; this file only
// listens, shows the connection state, and hands messages to page scripts via window.teamSkillsLive.on(name, fn).
(() => {
  'use strict';
  if (!window.signalR) return;
  const indicator = document.getElementById('live-status');
  const handlers = new Map();
  const labels = { connecting: 'connecting…', live: 'live', reconnecting: 'reconnecting…', offline: 'offline' };
  let state = 'offline';

  function setState(next) {
    state = next;
    if (indicator) {
      indicator.dataset.state = next;
      indicator.textContent = labels[next];
      indicator.title = next === 'live' ? 'Live updates are on' : 'Live updates: ' + labels[next];
    }
    document.documentElement.dataset.live = next;
  }

  function dispatch(name, payload, how) {
    for (const fn of handlers.get(name) || []) {
      try { fn(payload, how); } catch (e) { console.error(e); }
    }
  }

  const connection = new signalR.HubConnectionBuilder()
    .withUrl('/hubs/gaps')
    .withAutomaticReconnect({ nextRetryDelayInMilliseconds: ctx => Math.min(30000, 500 * 2 ** ctx.previousRetryCount) })
    .configureLogging(signalR.LogLevel.Warning)
    .build();

  connection.on('gapSummaryUpdated', s => dispatch('gapSummaryUpdated', s));
  connection.on('importProgress', p => dispatch('importProgress', p));
  connection.on('exportProgress', p => dispatch('exportProgress', p));
  connection.on('scopeChanged', () => dispatch('scopeChanged'));
  connection.onreconnecting(() => setState('reconnecting'));
  // Messages sent before we joined, or while we were away, are lost: catch up from the server's current numbers. Handlers
  // are told which summaries are a catch-up ({ catchUp: 'first' } when the page's very first connection attempt came up
  // right after the page loaded, 'again' otherwise), so a page can skip what it already shows; then 'caughtUp' lists
  // the team ids the connection hears of now, so a page can notice a team it shows that is no longer among them.
  let connectedBefore = false;
  let attempts = 0;
  async function resync() {
    const first = !connectedBefore && attempts === 1 && performance.now() < 5000;
    const how = { catchUp: first ? 'first' : 'again' };
    connectedBefore = true;
    try {
      const summaries = await connection.invoke('GetSummaries');
      for (const s of summaries) dispatch('gapSummaryUpdated', s, how);
      dispatch('caughtUp', summaries.map(s => s.teamId), how);
    } catch (e) { console.warn('resync failed', e); }
  }
  connection.onreconnected(async () => { setState('live'); await resync(); });
  connection.onclose(() => { setState('offline'); retry(); });

  let delay = 1000;
  async function start() {
    setState('connecting');
    attempts++;
    try {
      await connection.start();
      delay = 1000;
      setState('live');
      await resync();
    } catch (e) {
      setState('offline');
      retry();
    }
  }
  function retry() {
    setTimeout(start, delay);
    delay = Math.min(30000, delay * 2);
  }

  window.teamSkillsLive = {
    on(name, fn) {
      if (!handlers.has(name)) handlers.set(name, []);
      handlers.get(name).push(fn);
    },
    get state() { return state; },
    connection,
  };
  start();
})();
