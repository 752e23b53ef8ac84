// The thread Worker: thread scenarios on conlab's deterministic scheduler, away from the
// page's event loop, so a run or a search never stalls the page. Each message is a request
// (JSON, conlab-wire's SchedRequest); each answer posted back is JSON too (SchedMessage).
import init, { handle } from "./conlab_thread_worker.js";

const ready = init();
self.onmessage = async (event) => {
  try {
    await ready;
  } catch (e) {
    self.postMessage(JSON.stringify({ error: `the scheduler did not load: ${e}` }));
    return;
  }
  handle(event.data, (answer) => self.postMessage(answer));
};
