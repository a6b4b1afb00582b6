// A rejected catalog form can be far down the page: bring it into view and focus its first invalid field (or its
// first control), so the error beside it is seen. The notice on top links to it too, for readers without scripts.
(function () {
    const rejected = document.getElementById('rejected');
    if (!rejected) return;
    const scope = rejected.closest('tr, section') || rejected;
    const field = scope.querySelector('[aria-invalid="true"]') || scope.querySelector('select, input:not([type="hidden"])');
    scope.scrollIntoView({ block: 'center' });
    if (field) field.focus({ preventScroll: true });
})();
