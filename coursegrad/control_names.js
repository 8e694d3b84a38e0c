// What a screen reader needs from an explorer that ipywidgets 8.1 does not give (coursegrad/control_names.py):
// each slider handle (role="slider") named by its slider's description, the value it says taken from the
// slider's readout (a log slider's handle otherwise says the exponent), the Play widget's icon buttons
// named (Play / Pause, Stop, Repeat), and the readouts made polite live regions that are read when they change.

const PLAY_NAMES = { "fa-play": "Play", "fa-pause": "Pause", "fa-stop": "Stop", "fa-retweet": "Repeat" };

function set(element, attribute, value) {
  if (value && element.getAttribute(attribute) !== value) element.setAttribute(attribute, value);
}

function nameControls(root, model) {
  for (const [cls, name] of Object.entries(model.get("names"))) {
    for (const slider of root.querySelectorAll(`.${cls}`)) {
      const handle = slider.querySelector(".noUi-handle");
      if (!handle) continue;
      set(handle, "aria-label", name);
      const readout = slider.querySelector(".widget-readout");
      set(handle, "aria-valuetext", readout ? readout.textContent.trim() : "");
    }
  }
  for (const button of root.querySelectorAll(".widget-play button")) {
    const icon = button.querySelector("i");
    const key = icon ? [...icon.classList].find((c) => c in PLAY_NAMES) : undefined;
    set(button, "aria-label", PLAY_NAMES[key]);
  }
  for (const cls of model.get("live")) {
    for (const box of root.querySelectorAll(`.${cls} .widget-html-content`)) {
      set(box, "aria-live", "polite");
      set(box, "aria-atomic", "true");
    }
  }
}

export default {
  render({ model, el }) {
    let observer = null;
    let frame = requestAnimationFrame(function attach() {
      const root = el.closest(".coursegrad-explorer");
      if (!root) {
        // not yet inside its explorer (the views attach after rendering); shown on its own: nothing to name
        frame = el.isConnected ? null : requestAnimationFrame(attach);
        return;
      }
      const apply = () => nameControls(root, model);
      apply();
      observer = new MutationObserver(apply); // the Play icon, the readouts and re-rendered views change
      observer.observe(root, {
        subtree: true,
        childList: true,
        characterData: true,
        attributes: true,
        attributeFilter: ["class", "aria-valuenow"],
      });
    });
    return () => {
      if (frame) cancelAnimationFrame(frame);
      if (observer) observer.disconnect();
    };
  },
};
