// Progressive enhancement for the product page. Without it the Size and Scent radios still work:
// "Show price and stock" posts them and the page comes back with that variant, and Add to cart
// adds the size and scent the radios say. With it, a choice updates the price, saving, stock,
// picture and address (?variant=SKU) at once, a scent not made in the chosen size is disabled
// with the reason, and a bar with Add to cart stays at the bottom once the form scrolls away.
(function () {
  var form = document.querySelector("[data-product-form]");
  var data = document.querySelector("[data-variant-data]");
  if (!form || !data) return;
  var variants = Array.prototype.map.call(data.content.querySelectorAll("[data-id]"), function (node) {
    return node.dataset;
  });
  var pictures = data.content.querySelectorAll("[data-image-index]");
  var mainImage = document.querySelector("[data-main-image]");
  var shownImage = mainImage ? Number(mainImage.dataset.mainImage) : null;
  document.querySelectorAll(".no-js-only").forEach(function (node) { node.hidden = true; });

  function chosen(name) {
    var input = form.querySelector("input[name='" + name + "']:checked") ||
      form.querySelector("input[type='hidden'][name='" + name + "']");
    return input ? input.value : "";
  }

  function find(size, scent) {
    return variants.find(function (v) { return v.size === size && v.scent === scent; });
  }

  function showText(selector, text) {
    document.querySelectorAll(selector).forEach(function (node) {
      node.textContent = text;
      node.hidden = !text;
    });
  }

  // Scents not made in the chosen size are disabled with the reason; if the chosen scent is one,
  // the first scent that is made takes its place.
  function updateScents(size) {
    var first = null;
    form.querySelectorAll("input[name='scent'][type='radio']").forEach(function (input) {
      var variant = find(size, input.value);
      var option = input.closest("[data-option]");
      input.disabled = !variant;
      option.classList.toggle("is-unavailable", !variant);
      if (variant && !first) first = input;
      var text = variant ? (variant.soldOut ? "Sold out" : "") : "Not made in " + size;
      var note = option.querySelector("[data-option-note]");
      note.replaceChildren();
      if (text) {
        var pause = document.createElement("span");
        pause.className = "visually-hidden";
        pause.textContent = ", ";
        note.append(pause, text);
      }
    });
    var checked = form.querySelector("input[name='scent']:checked");
    if (checked && checked.disabled && first) first.checked = true;
  }

  function showImage(index) {
    if (!mainImage || shownImage === index || !pictures[index]) return;
    shownImage = index;
    mainImage.replaceChildren(pictures[index].firstElementChild.cloneNode(true));
  }

  function update() {
    var size = chosen("size");
    updateScents(size);
    var variant = find(size, chosen("scent"));
    if (!variant) return;
    form.querySelector("[data-variant-id]").value = variant.id;
    showText("[data-price]", variant.price);
    showText("[data-sticky-price]", variant.price);
    showText("[data-sticky-label]", variant.size + " / " + variant.scent);
    showText("[data-compare-value]", variant.compare);
    document.querySelector("[data-compare]").hidden = !variant.compare;
    showText("[data-saving]", variant.saving);
    var stock = document.querySelector("[data-stock]");
    stock.className = "badge " + variant.stockClass;
    stock.textContent = variant.stock;
    document.querySelectorAll("[data-add-button]").forEach(function (button) {
      button.disabled = Boolean(variant.soldOut);
    });
    showImage(Number(variant.image));
    var address = new URL(window.location.href);
    address.searchParams.delete("size");
    address.searchParams.delete("scent");
    address.searchParams.set("variant", variant.sku);
    address.hash = "";
    window.history.replaceState(null, "", address);
  }

  form.addEventListener("change", function (event) {
    if (event.target.name === "size" || event.target.name === "scent") update();
  });

  var bar = document.querySelector("[data-sticky-buy]");
  var button = form.querySelector("[data-add-button]");
  if (bar && button && "IntersectionObserver" in window) {
    new IntersectionObserver(function (entries) {
      bar.hidden = entries[0].isIntersecting;
      document.body.classList.toggle("has-sticky-buy", !bar.hidden);
    }).observe(button);
  }
})();
