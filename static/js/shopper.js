// A page shared by every visitor (app/pagecache.py) holds nothing of theirs: this fills in their
// cart count and account links from /shopper, and gives its forms a CSRF token so that they post
// directly (without it, "Add to cart" asks for a confirmation page that carries one).
(function () {
  var forms = document.querySelectorAll("[data-shopper-post]");
  function show(details) {
    document.querySelectorAll("[data-shopper]").forEach(function (element) {
      var role = element.dataset.shopper;
      if (role === "cart-count") {
        element.textContent = String(details.cart_count);
        element.setAttribute("aria-label", details.cart_count + (details.cart_count === 1 ? " item" : " items"));
      } else {
        element.hidden = role === "staff" ? !details.staff : (role === "signed-in") !== details.signed_in;
      }
    });
    if (!details.csrf_token) return;
    document.querySelectorAll("[data-shopper-csrf]").forEach(function (input) {
      input.value = details.csrf_token;
      input.disabled = false;
    });
    forms.forEach(function (form) { form.method = "post"; });
  }
  function load() {
    fetch("/shopper" + (forms.length ? "?csrf=1" : ""), {credentials: "same-origin", cache: "no-store"})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (details) { if (details) show(details); })
      .catch(function () {});  // the links and forms keep working without it
  }
  load();
  // A page restored from the back-forward cache may show an older count.
  window.addEventListener("pageshow", function (event) { if (event.persisted) load(); });
})();
