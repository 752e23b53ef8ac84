// The async Worker: the page's async scenarios on the virtual-time executor, for stepping
// through them, away from the page's event loop and out of its first download. Each message is
// a request (JSON, conlab-wire's SchedRequest); each answer posted back is JSON too.
import init, { handle } from "./conlab_async_worker.js";

const ready = init();
self.onmessage = async (event) => {
  try {
    await ready;
  } catch (e) {
    self.postMessage(JSON.stringify({ error: `the virtual-time runner did not load: ${e}` }));
    return;
  }
  handle(event.data, (answer) => self.postMessage(answer));
};
