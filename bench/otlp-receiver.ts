// The tracing bench's receiver, in a process of its own so that parsing the exported spans is not
// charged to the loop it measures: prints its URL on stdout, answers GET /stats with its counts.
import { startOtlpReceiver } from '../test/helpers/otlpReceiver.ts';

const receiver = await startOtlpReceiver({ keep: false });
process.stdout.write(`${receiver.url}\n`);
process.on('SIGTERM', () => {
  void receiver.close().then(() => process.exit(0));
});
