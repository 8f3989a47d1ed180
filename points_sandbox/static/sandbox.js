// Small touches on the hosted pages; every step also works without JavaScript.
(function () {
  // OTP: the one real input mirrors its digits into the four boxes drawn behind it.
  var otp = document.querySelector(".otp-input");
  if (otp) {
    var boxes = document.querySelectorAll(".otp-boxes span");
    var paint = function () {
      otp.value = otp.value.replace(/\D/g, "").slice(0, 4);
      boxes.forEach(function (box, i) {
        box.textContent = otp.value[i] || "";  // an empty box until a digit is typed
        box.classList.toggle("empty", !otp.value[i]);
        box.classList.toggle("next", i === otp.value.length);
      });
    };
    otp.addEventListener("input", paint);
    paint();
  }

  // "Resend in 00:30", then the resend button.
  var countdown = document.querySelector(".resend-countdown");
  if (countdown && !countdown.hidden) {
    var left = parseInt(countdown.dataset.seconds, 10);
    var clock = countdown.querySelector(".countdown");
    var timer = setInterval(function () {
      left -= 1;
      clock.textContent = "00:" + String(Math.max(left, 0)).padStart(2, "0");
      if (left <= 0) {
        clearInterval(timer);
        countdown.hidden = true;
        document.querySelector(".resend-form").hidden = false;
      }
    }, 1000);
  }

  // Partial redemption: show what the typed SAR amount is worth in points (rounded up).
  var amount = document.querySelector("[data-testid=partial-amount]");
  if (amount) {
    var chip = document.querySelector("[data-testid=partial-points] .n");
    var value = parseFloat(amount.dataset.pointValue);
    var update = function () {
      var sar = parseFloat(amount.value.replace(/,/g, "")) || 0;
      chip.textContent = Math.ceil(Math.round(sar * 100) / Math.round(value * 100)).toLocaleString("en-US");
    };
    amount.addEventListener("input", update);
    amount.addEventListener("focus", function () {
      var partial = document.getElementById("mode-partial");
      if (partial) partial.checked = true;
    });
    update();
  }

  // Done: back to the store after a few seconds, unless the shopper chooses to stay.
  var note = document.querySelector("[data-testid=redirect-note]");
  if (note && note.dataset.url) {
    var stay = note.querySelector("[data-testid=stay-here]");
    var leaving = setTimeout(function () {
      window.location.assign(note.dataset.url);
    }, parseInt(note.dataset.seconds, 10) * 1000);
    stay.hidden = false;
    stay.addEventListener("click", function () {
      clearTimeout(leaving);
      note.hidden = true;
    });
  }
})();
