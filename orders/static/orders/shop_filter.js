// Navigate when a shop is picked in the autocomplete list filter.
'use strict';
window.addEventListener('load', function () {
    const $ = window.django && window.django.jQuery;
    if (!$) { return; }
    $('.shop-autocomplete-filter').on('change', function () {
        const param = this.dataset.param;
        const url = new URL(window.location.href);
        url.searchParams.delete(param);
        url.searchParams.delete('p');
        if (this.value) { url.searchParams.set(param, this.value); }
        window.location.href = url.toString();
    });
});
