// Progressive enhancement for the product page: show the chosen variant's price and stock
// at the top as soon as a radio is picked, and put it in the address (?variant=SKU) so a shared
// or reloaded link opens on it. The form works the same without this script.
(function () {
  var form = document.querySelector("[data-product-form]");
  var price = document.getElementById("selected-price");
  var stock = document.getElementById("selected-stock");
  if (!form || !price || !stock) return;
  form.addEventListener("change", function (event) {
    var input = event.target;
    if (input.name !== "variant_id") return;
    price.textContent = input.dataset.price;
    if (input.dataset.compare) {
      var was = document.createElement("s");
      was.className = "compare-at";
      var wasLabel = document.createElement("span");
      wasLabel.className = "visually-hidden";
      wasLabel.textContent = "Was ";
      was.append(wasLabel, input.dataset.compare);
      price.append(" ", was);
    }
    var badge = document.createElement("span");
    badge.className = "badge " + input.dataset.stockClass;
    badge.textContent = input.dataset.stock;
    stock.replaceChildren(badge);
    var address = new URL(window.location.href);
    address.searchParams.set("variant", input.dataset.sku);
    window.history.replaceState(null, "", address);
  });
})();
