// Destructive forms ask first (Users page, an engineer's completions): the question is in data-confirm, text only, never script.
for (const form of document.querySelectorAll('form[data-confirm]')) {
  form.addEventListener('submit', e => { if (!window.confirm(form.dataset.confirm)) e.preventDefault(); });
}
