// Builds one contact export in a process of its own (test/privacy-export-large.test.ts runs it
// with a small heap): argv: database URL, export id, media folder, exports folder.
import { ContactExportBuilder } from '../../connectors/retention/contact-export.ts';
import { LocalMediaStore } from '../../connectors/whatsapp/media-store.ts';
import { systemClock } from '../../engine/clock.ts';
import { openOrm } from '../../platform/db/orm.ts';
import { createLogger } from '../../platform/logger.ts';

const [databaseUrl, exportId, mediaDir, exportsDir] = process.argv.slice(2) as [string, string, string, string];
const orm = await openOrm(databaseUrl);
let peakHeap = 0;
const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 5);
try {
  const status = await new ContactExportBuilder({
    orm,
    files: { media: new LocalMediaStore(mediaDir), exportsDir },
    clock: systemClock,
    logger: createLogger('warn'),
  }).build(exportId);
  clearInterval(sampler);
  console.log(JSON.stringify({ status, peakHeapMb: Math.round(peakHeap / 1e6) }));
} finally {
  clearInterval(sampler);
  await orm.close();
}
