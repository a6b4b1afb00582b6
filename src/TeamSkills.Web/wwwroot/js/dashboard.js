// Overview and team pages: sortable tables, filters, heat-map keyboard navigation, and live updates in place.
(() => {
  'use strict';

  // ---- sorting: header buttons sort by data-value when present, else by text ------------------------------------
  function cellValue(row, index, kind) {
    const cell = row.cells[index];
    if (!cell) return '';
    const raw = cell.dataset.value ?? cell.textContent.trim();
    if (kind === 'text') return raw.toLowerCase();
    const n = parseFloat(raw);
    return Number.isNaN(n) ? -Infinity : n;
  }
  for (const table of document.querySelectorAll('table.sortable')) {
    const headers = [...table.tHead.rows[0].cells];
    headers.forEach((th, index) => {
      const button = th.querySelector('button[data-sort]');
      if (!button) return;
      button.addEventListener('click', () => {
        const kind = button.dataset.sort;
        const ascending = th.getAttribute('aria-sort') !== 'ascending';
        headers.forEach(h => h.removeAttribute('aria-sort'));
        th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
        const body = table.tBodies[0];
        const rows = [...body.rows];
        rows.sort((a, b) => {
          const x = cellValue(a, index, kind), y = cellValue(b, index, kind);
          return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
        });
        body.append(...rows);
      });
    });
  }

  // ---- filters -----------------------------------------------------------------------------------------------------
  function applyFilters(tableId) {
    const table = document.getElementById(tableId);
    if (!table) return;
    const text = (document.querySelector(`[data-filter-for="${tableId}"]`)?.value || '').trim().toLowerCase();
    const status = document.querySelector(`[data-status-filter-for="${tableId}"]`)?.value || '';
    let shown = 0;
    for (const row of table.tBodies[0].rows) {
      const haystack = row.dataset.search ?? row.textContent.toLowerCase();
      const statuses = (row.dataset.statuses || '').split(' ');
      const visible = (!text || haystack.includes(text)) && (!status || statuses.includes(status));
      row.hidden = !visible;
      if (visible) shown++;
    }
    const counter = document.querySelector(`[data-count-for="${tableId}"]`);
    if (counter) counter.textContent = `${shown} of ${table.tBodies[0].rows.length} shown`;
    if (tableId === 'heat') keepTabStop(table);
  }
  for (const input of document.querySelectorAll('[data-filter-for]')) {
    input.addEventListener('input', () => applyFilters(input.dataset.filterFor));
  }
  for (const select of document.querySelectorAll('[data-status-filter-for]')) {
    select.addEventListener('change', () => applyFilters(select.dataset.statusFilterFor));
  }

  // The grid's one tab stop must stay on a row the filter shows, or the keyboard could not reach the grid at all.
  function keepTabStop(table) {
    const current = table.tBodies[0].querySelector('td[tabindex="0"]');
    if (current && !current.parentElement.hidden) return;
    if (current) current.tabIndex = -1;
    const row = [...table.tBodies[0].rows].find(r => !r.hidden);
    if (row?.cells[0]) row.cells[0].tabIndex = 0;
  }

  // ---- heat map keyboard navigation: one tab stop, arrow keys move, Home/End jump within a row ----------------------
  const heat = document.getElementById('heat');
  if (heat) {
    const cells = () => [...heat.tBodies[0].rows].filter(r => !r.hidden).map(r => [...r.cells]);
    const first = heat.tBodies[0].rows[0]?.cells[0];
    if (first) first.tabIndex = 0;
    heat.addEventListener('keydown', e => {
      const cell = e.target.closest('td');
      if (!cell) return;
      const grid = cells();
      const r = grid.findIndex(row => row.includes(cell));
      if (r < 0) return;
      const c = grid[r].indexOf(cell);
      let next = null;
      switch (e.key) {
        case 'ArrowRight': next = grid[r][c + 1]; break;
        case 'ArrowLeft': next = grid[r][c - 1]; break;
        case 'ArrowDown': next = grid[r + 1]?.[c]; break;
        case 'ArrowUp': next = grid[r - 1]?.[c]; break;
        case 'Home': next = grid[r][0]; break;
        case 'End': next = grid[r][grid[r].length - 1]; break;
        case 'Enter': cell.querySelector('a')?.click(); return;
        default: return;
      }
      if (!next) return;
      e.preventDefault();
      for (const row of grid) for (const x of row) x.tabIndex = -1;
      next.tabIndex = 0;
      next.focus();
    });
    for (const row of heat.tBodies[0].rows) for (const td of row.cells) if (td.tabIndex !== 0) td.tabIndex = -1;
    // The engineer links in the first column are reached with the arrows and opened with Enter, not one Tab each.
    for (const a of heat.tBodies[0].querySelectorAll('a')) a.tabIndex = -1;
  }

  // ---- live updates ------------------------------------------------------------------------------------------------
  const live = window.teamSkillsLive;
  if (!live) return;

  // Org workbook in the background: start it without leaving the page, follow exportProgress, then offer the file.
  const orgJob = document.getElementById('org-job');
  if (orgJob) {
    const status = document.getElementById('org-job-status');
    const bar = document.getElementById('org-job-progress');
    let exportId = null;
    let shown = -1;
    const show = p => {
      // Pushes and the one status read can arrive out of order: never step back (nor away from "done").
      const rank = p.downloadUrl ? 101 : p.percent;
      if (rank < shown) return;
      shown = rank;
      bar.hidden = false;
      bar.value = p.percent;
      if (p.downloadUrl) {
        bar.hidden = true;
        const a = document.createElement('a');
        a.href = p.downloadUrl;
        a.textContent = 'Download the workbook';
        a.id = 'org-job-download';
        status.replaceChildren(a);
      } else {
        status.textContent = p.phase === 'failed' ? 'The export failed; try again.' : `Preparing the workbook: ${p.phase}, ${p.percent}%`;
      }
    };
    live.on('exportProgress', p => { if (p.exportId === exportId) show(p); });
    orgJob.addEventListener('submit', async e => {
      e.preventDefault();
      const response = await fetch(orgJob.action || location.pathname + '?handler=OrgJob', {
        method: 'POST', body: new FormData(orgJob), headers: { Accept: 'application/json' },
      });
      if (!response.ok) { status.textContent = 'Could not start the export.'; return; }
      const job = await response.json();
      exportId = job.id;
      shown = -1;
      status.textContent = 'Preparing the workbook…';
      bar.hidden = false;
      // A small org may be done before this answer arrived, and a push can be lost (a reconnect, the Redis
      // backplane down): ask now, then every few seconds until it is done, besides following the pushes.
      const poll = async () => {
        if (exportId !== job.id || shown >= 100) return;
        try {
          const now = await fetch(job.statusUrl, { headers: { Accept: 'application/json' } });
          if (now.ok) show(await now.json());
        } catch { /* offline for a moment: the next poll or push catches up */ }
        if (exportId === job.id && shown < 100 && status.textContent.indexOf('failed') < 0) setTimeout(poll, 3000);
      };
      await poll();
    });
  }
  const flash = el => { el.classList.remove('flash'); void el.offsetWidth; el.classList.add('flash'); };
  const pct = v => (Math.round(v * 10) / 10).toFixed(1);
  const fields = ['engineerCount', 'recommendedCount', 'heldCount', 'gapCount', 'expiringSoonCount', 'expiredCount', 'unmappedCount'];

  function setText(el, text) {
    if (el && el.textContent !== text) { el.textContent = text; flash(el); }
  }

  // A push for another day (midnight passed) makes the whole page stale: say so rather than mix two days.
  function sameDay(container, s) {
    if (s.asOf === container.dataset.asof) return true;
    const notice = document.getElementById('stale');
    if (notice) notice.hidden = false;
    return false;
  }

  const overview = document.getElementById('overview');
  if (overview && overview.dataset.live === 'on') {
    live.on('gapSummaryUpdated', s => {
      if (!sameDay(overview, s)) return;
      const row = overview.querySelector(`tr[data-team-id="${s.teamId}"]`);
      if (!row) {
        // A team not listed: one with active engineers is new here; one without stays counted under the table, not listed.
        if (s.engineerCount > 0) document.getElementById('new-teams').hidden = false;
        return;
      }
      let changed = false;
      for (const f of fields) {
        const td = row.querySelector(`[data-field="${f}"]`);
        if (td && td.textContent !== String(s[f])) { td.textContent = String(s[f]); changed = true; }
      }
      const cov = row.querySelector('[data-field="coveragePercent"]');
      if (cov && (cov.dataset.value !== String(s.coveragePercent) || cov.dataset.recommended !== String(s.recommendedCount))) {
        // Nothing recommended for the team's roles: no coverage to show, "n/a" rather than 0%.
        const none = s.recommendedCount === 0;
        cov.dataset.value = String(s.coveragePercent);
        cov.dataset.recommended = String(s.recommendedCount);
        cov.querySelector('.bar span').style.width = (none ? '0.0' : pct(s.coveragePercent)) + '%';
        cov.querySelector('.bar').setAttribute('aria-label', none ? 'no certification recommended' : pct(s.coveragePercent) + '% coverage');
        cov.querySelector('.pct').textContent = none ? 'n/a' : pct(s.coveragePercent) + '%';
        changed = true;
      }
      if (changed) flash(row);
      // Tiles are sums over the rows, recomputed from what is on the page.
      const sum = f => [...overview.querySelectorAll(`tbody [data-field="${f}"]`)].reduce((a, td) => a + Number(td.textContent), 0);
      for (const f of ['gapCount', 'expiringSoonCount', 'expiredCount', 'engineerCount']) {
        setText(overview.querySelector(`[data-tile="${f}"]`), String(sum(f)));
      }
      const rec = sum('recommendedCount');
      setText(overview.querySelector('[data-tile="coverage"]'), rec === 0 ? 'n/a' : pct(100 * sum('heldCount') / rec) + '%');
    });
  }

  const team = document.getElementById('team');
  if (team && team.dataset.live === 'on') {
    const teamId = Number(team.dataset.teamId);
    let pending = null;
    live.on('gapSummaryUpdated', s => {
      if (s.teamId !== teamId || !sameDay(team, s)) return;
      for (const f of ['gapCount', 'expiringSoonCount', 'expiredCount', 'engineerCount']) {
        setText(team.querySelector(`[data-tile="${f}"]`), String(s[f]));
      }
      setText(team.querySelector('[data-tile="coverage"]'), s.recommendedCount === 0 ? 'n/a' : pct(s.coveragePercent) + '%');
      // Cells: fetch today's statuses for this team once per burst of updates and patch what changed.
      clearTimeout(pending);
      pending = setTimeout(refreshCells, 50);
    });

    async function refreshCells() {
      const response = await fetch(`/teams/${teamId}?handler=Cells`, { headers: { Accept: 'application/json' } });
      if (!response.ok) return;
      const engineers = await response.json();
      let unknown = engineers.length !== team.querySelectorAll('tbody tr[data-employee]').length;
      for (const e of engineers) {
        const row = team.querySelector(`tr[data-employee="${CSS.escape(e.employeeId)}"]`);
        if (!row) { unknown = true; continue; }
        row.dataset.statuses = e.statuses;
        for (const c of e.cells) {
          const td = row.querySelector(`td[data-cert="${CSS.escape(c.id)}"]`);
          if (!td) { unknown = true; continue; }
          td.title = c.title; // expiry dates move on renewal even when the status stays
          if (td.classList.contains(c.status)) continue;
          td.className = `cell ${c.status}`;
          td.dataset.value = String(c.rank);
          td.textContent = `${c.symbol} ${c.status}`;
          flash(td);
        }
        setText(row.querySelector('[data-field="next"]'), e.next);
      }
      // New engineers or newly recommended certifications need new rows or columns: offer a reload.
      if (unknown) document.getElementById('stale').hidden = false;
    }
  }
})();
