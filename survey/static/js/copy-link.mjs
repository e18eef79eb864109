// "Copy link" for a link shown in a read-only text box. Progressive enhancement: without
// JavaScript the controls stay hidden and the link can be selected and copied by hand.
//
// Markup: <div data-app-copy hidden><button data-app-copy-target="INPUT-ID">…</button>
//         <p aria-live="polite" data-app-copy-status></p></div>

async function copy(input) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(input.value);
    return true;
  }
  input.focus();
  input.select();
  return document.execCommand("copy");
}

for (const controls of document.querySelectorAll("[data-app-copy]")) {
  const button = controls.querySelector("[data-app-copy-target]");
  const status = controls.querySelector("[data-app-copy-status]");
  const input = button && document.getElementById(button.dataset.appCopyTarget);
  if (!input) continue;
  controls.hidden = false;
  button.addEventListener("click", async () => {
    let copied = false;
    try {
      copied = await copy(input);
    } catch {
      copied = false;
    }
    if (copied) {
      status.textContent = "Link copied. You can now paste it into an email or message.";
    } else {
      input.focus();
      input.select();
      status.textContent = "The link is selected: press Ctrl and C (or Cmd and C on a Mac) to copy it.";
    }
  });
}
