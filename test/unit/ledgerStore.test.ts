import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import type { Database } from 'sql.js';

import { MANIFEST_FILE } from '../../src/core/ledger/compaction';
import { parseJournalChunk, readJournal } from '../../src/core/ledger/journal';
import { acquireLock } from '../../src/core/ledger/lock';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/core/ledger/schema';
import { loadSqlJs } from '../../src/core/ledger/sqlite';
import { LEDGER_FILE, LedgerStore, LOCK_FILE } from '../../src/core/ledger/store';
import { FakeClock } from '../../src/core/routing/clock';
import { makeRecord } from '../support/ledgerFixtures';

const quiet = { compactIntervalMs: 0, refreshIntervalMs: 0 };

/** The request ids in the ledger file itself (not in any store's memory). */
async function idsInFile(dir: string): Promise<string[]> {
  const sql = await loadSqlJs();
  const db = new sql.Database(await readFile(join(dir, LEDGER_FILE)));
  try {
    return (db.exec('SELECT id FROM requests ORDER BY id')[0]?.values.flat() ?? []).map(String);
  } finally {
    db.close();
  }
}

/** Overwrites one page in the middle of the ledger file: SQLite still opens it and counts rows; quick_check fails. */
/**
 * Overwrites one leaf page of the `requests` table (header intact): the first table-leaf page (type byte 0x0d) from
 * the middle of the file on that holds a request row (its strategy, "fallback", is stored only in `requests`).
 */
async function damageInnerPage(dir: string): Promise<void> {
  const file = join(dir, LEDGER_FILE);
  const bytes = await readFile(file);
  const pages = Math.floor(bytes.length / 4096);
  for (let page = Math.floor(pages / 2); page < pages; page++) {
    const content = bytes.subarray(page * 4096, (page + 1) * 4096);
    if (content[0] !== 0x0d || !content.includes('fallback')) continue;
    bytes.fill(0xa5, page * 4096, (page + 1) * 4096);
    await writeFile(file, bytes);
    return;
  }
  throw new Error('no leaf page of the requests table in the second half of the file');
}

const ids = (store: LedgerStore): string[] => store.read((db) => (db.exec('SELECT id FROM requests ORDER BY id')[0]?.values.flat() ?? []).map(String));

describe('ledger: store', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ledger-store-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('opens, appends, refreshes and closes while another process holds the lock for longer than any timeout; the record is kept', async () => {
    const first = await LedgerStore.open({ dir, ...quiet });
    await first.append(makeRecord('before', 1));
    await first.close();
    // Another process compacting a large ledger holds the lock; the lock timeout is 50 ms.
    const held = await acquireLock(join(dir, LOCK_FILE));
    try {
      const store = await LedgerStore.open({ dir, ...quiet, lockTimeoutMs: 50, closeLockWaitMs: 20 });
      assert.deepEqual(ids(store), ['before'], 'open reads the file without the lock');
      await store.append(makeRecord('while-locked', 2));
      await store.refresh();
      await store.close();
      assert.equal((await readdir(dir)).filter((n) => n.startsWith('journal-')).length, 1, 'the journal is left for the next compaction');
    } finally {
      await held.release();
    }
    const later = await LedgerStore.open({ dir, ...quiet });
    assert.deepEqual(ids(later), ['before', 'while-locked']);
    await later.close();
    assert.deepEqual(await idsInFile(dir), ['before', 'while-locked'], 'the next close merged it into the file');
  });

  it('reads a file another process replaces while the journals are read again, missing nothing', async () => {
    const writer = await LedgerStore.open({ dir, ...quiet });
    await writer.appendMany(Array.from({ length: 50 }, (_, n) => makeRecord(`w-${n}`, n)));
    // Open many readers while the writer compacts (rename + journal deletion) over and over.
    let compacting = true;
    const loop = (async (): Promise<void> => {
      for (let n = 50; compacting; n += 1) {
        await writer.append(makeRecord(`w-${n}`, n));
        await writer.compact();
      }
    })();
    try {
      for (let round = 0; round < 15; round += 1) {
        const acknowledged = writer.count();
        const reader = await LedgerStore.open({ dir, ...quiet, checkIntegrity: false });
        assert.ok(reader.count() >= acknowledged, `round ${round}: ${reader.count()} < ${acknowledged}`);
        await reader.close();
      }
    } finally {
      compacting = false;
      await loop;
      await writer.close();
    }
  });

  it('a query that meets a damaged page moves the file aside, rebuilds from what is durable, and answers', async () => {
    const a = await LedgerStore.open({ dir, ...quiet, checkIntegrity: false });
    await a.appendMany(Array.from({ length: 300 }, (_, n) => makeRecord(`old-${n}`, n)));
    await a.compact();
    await a.compact();
    await a.append(makeRecord('in-journal', 1000));
    await damageInnerPage(dir);
    const notices: string[] = [];
    // No check at open (as when the worker's check has not run yet): the damage shows in the first query.
    const b = await LedgerStore.open({ dir, ...quiet, checkIntegrity: false, onNotice: (m) => notices.push(m) });
    const total = (db: Database): number => Number(db.exec('SELECT count(*), TOTAL(cost_nano) FROM requests')[0]!.values[0]![0]);
    assert.throws(() => b.read(total), /malformed/, 'the damaged page is in memory too');
    const count = await b.query(total);
    assert.ok(count > 1 && count < 301, `rebuilt: ${count}`);
    assert.equal(notices.length, 1, notices.join('\n'));
    assert.match(notices[0]!, /corrupt \(database disk image is malformed\); moved aside to .*ledger\.sqlite\.corrupt-.*rebuilt from the journals and the \d+ request\(s\) still readable/);
    assert.ok(ids(b).includes('in-journal'));
    await b.append(makeRecord('after', 2000));
    await b.close();
    await a.close();
    const c = await LedgerStore.open({ dir, ...quiet });
    assert.ok(ids(c).includes('after') && ids(c).includes('in-journal'));
    assert.equal(c.read(total), count + 1, 'the rebuilt ledger was written back as a sound file');
    await c.close();
  });

  it('shows an appended record at once, keeps it across reopen, and stores a replayed id once', async () => {
    const store = await LedgerStore.open({ dir, ...quiet });
    const pending = store.append(makeRecord('r1', 1));
    assert.equal(store.count(), 1, 'visible before durable');
    await pending;
    await Promise.all([store.append(makeRecord('r2', 2)), store.append(makeRecord('r1', 1))]);
    assert.equal(store.count(), 2);
    const stats = store.stats();
    assert.ok(stats.journalFlushes < stats.appends, 'concurrent appends share an fsync');
    await store.close();
    assert.deepEqual((await readdir(dir)).filter((n) => n.startsWith('journal-')), [], 'close compacts and removes the journal');
    const again = await LedgerStore.open({ dir, ...quiet });
    assert.equal(again.count(), 2);
    assert.equal(again.read((db) => db.exec('SELECT count(*) FROM attempts')[0]!.values[0]![0]), 4);
    await again.close();
  });

  it('merges journals left by a dead process, ignoring a torn last line and skipping a corrupt middle line', async () => {
    const lines = [makeRecord('a', 1), makeRecord('b', 2)].map((r) => JSON.stringify(r));
    const journal = join(dir, 'journal-999999-abcdef.jsonl');
    await writeFile(journal, `${lines[0]}\n{"not json\n${lines[1]}\n${lines[1]!.slice(0, 40)}`);
    const notices: string[] = [];
    const store = await LedgerStore.open({ dir, ...quiet, onNotice: (m) => notices.push(m) });
    assert.equal(store.count(), 2);
    assert.equal(notices.length, 1);
    assert.match(notices[0]!, /1 line\(s\) of the journal journal-999999-abcdef\.jsonl .* skipped/);
    await store.compact();
    assert.ok(!(await readdir(dir)).includes('journal-999999-abcdef.jsonl'), 'dead journal removed after compaction');
    await store.close();
  });

  it('parses only whole lines and reports where the next read starts', () => {
    const line = JSON.stringify(makeRecord('x', 1));
    const chunk = parseJournalChunk(Buffer.from(`${line}\n${line.slice(0, 10)}`), 100);
    assert.equal(chunk.records.length, 1);
    assert.equal(chunk.nextOffset, 100 + Buffer.byteLength(line) + 1);
    assert.equal(chunk.tailBytes, 10);
  });

  it('reads a journal in pieces of whole lines, a line longer than a piece included, leaving a torn tail', async () => {
    const records = Array.from({ length: 40 }, (_, n) => makeRecord(`p${n}`, n));
    const long = { ...makeRecord('long', 99), reasons: ['x'.repeat(5_000)] };
    const text = [...records.slice(0, 20), long, ...records.slice(20)].map((r) => `${JSON.stringify(r)}\n`).join('');
    const path = join(dir, 'journal-1-ab.jsonl');
    await writeFile(path, `${text}{"v":1,"id":"torn`);
    const pieces = [];
    for await (const piece of readJournal(path, 0, 1_000)) pieces.push(piece);
    assert.ok(pieces.length > 10, `${pieces.length} pieces`);
    assert.deepEqual(pieces.flatMap((p) => p.records.map((r) => r.id)), [...records.slice(0, 20).map((r) => r.id), 'long', ...records.slice(20).map((r) => r.id)]);
    assert.equal(pieces.at(-1)!.nextOffset, Buffer.byteLength(text), 'the next read starts at the torn line');
    assert.equal(pieces.at(-1)!.tailBytes, '{"v":1,"id":"torn'.length);
    const rest = [];
    for await (const piece of readJournal(path, Buffer.byteLength(text))) rest.push(piece);
    assert.deepEqual(rest.map((p) => p.records.length), [0], 'nothing new: one empty piece');
    const gone = [];
    for await (const piece of readJournal(join(dir, 'journal-1-cd.jsonl'), 0)) gone.push(piece);
    assert.deepEqual(gone, [], 'a missing journal yields nothing');
  });

  it('sees what another store writes to the same directory after refresh, counting nothing twice', async () => {
    const a = await LedgerStore.open({ dir, ...quiet });
    const b = await LedgerStore.open({ dir, ...quiet });
    await a.append(makeRecord('from-a', 1));
    await b.append(makeRecord('from-b', 2));
    await b.refresh();
    assert.equal(b.count(), 2);
    await a.compact();
    await b.refresh();
    await b.refresh();
    assert.equal(b.count(), 2);
    await a.append(makeRecord('from-a-2', 3));
    await b.compact();
    await a.refresh();
    assert.equal(a.count(), 3);
    await a.close();
    await b.close();
    const c = await LedgerStore.open({ dir, ...quiet });
    assert.equal(c.count(), 3);
    await c.close();
  });

  it('moves a corrupt file aside with a timestamp, rebuilds from the journals, and says so', async () => {
    const clock = new FakeClock(Date.parse('2026-11-23T10:20:30.000Z'));
    const store = await LedgerStore.open({ dir, ...quiet });
    await store.append(makeRecord('kept', 1));
    await store.compact();
    await store.compact(); // the second compaction deletes the journal segment of 'kept': it is only in the file
    await store.append(makeRecord('journal-only', 2));
    // Simulate a crash: the journal stays; then the file gets corrupted.
    await writeFile(join(dir, LEDGER_FILE), 'this is not a SQLite database at all, just some text padding'.repeat(100));
    const notices: string[] = [];
    const reopened = await LedgerStore.open({ dir, ...quiet, clock, onNotice: (m) => notices.push(m) });
    const aside = `${LEDGER_FILE}.corrupt-2026-11-23T10-20-30.000Z`;
    assert.ok((await readdir(dir)).includes(aside), 'moved aside with a timestamp');
    assert.equal(notices.length, 1);
    assert.match(notices[0]!, /ledger file was corrupt .*moved aside to .*corrupt-2026-11-23T10-20-30\.000Z.*rebuilt from the journals/);
    assert.equal(reopened.count(), 1, 'the journal record is back; the compacted-only record was in the corrupt file');
    await reopened.close();
    await store.close().catch(() => undefined);
  });

  it('migrates a file from the previous schema keeping rows, and refuses a newer one without moving it', async () => {
    const store = await LedgerStore.open({ dir, ...quiet, migrations: MIGRATIONS });
    await store.append(makeRecord('old', 1));
    await store.close();
    const next = [...MIGRATIONS, { version: SCHEMA_VERSION + 1, description: 'test: a note column', sql: 'ALTER TABLE requests ADD COLUMN note TEXT' }];
    const migrated = await LedgerStore.open({ dir, ...quiet, migrations: next });
    assert.equal(migrated.read((db) => db.exec("SELECT count(*), max(note IS NULL) FROM requests WHERE id = 'old'")[0]!.values[0]!.join(',')), '1,1');
    assert.equal(Number(migrated.read((db) => db.exec('PRAGMA user_version')[0]!.values[0]![0])), SCHEMA_VERSION + 1);
    await migrated.close();
    const notices: string[] = [];
    await assert.rejects(LedgerStore.open({ dir, ...quiet, onNotice: (m) => notices.push(m) }), /written by a newer Model Router/);
    assert.deepEqual((await readdir(dir)).filter((n) => n.includes('corrupt')), []);
    assert.deepEqual(notices, []);
  });

  it('drops only requests (and their attempts) older than the retention at compaction', async () => {
    const now = Date.parse('2026-11-23T12:00:00Z');
    const clock = new FakeClock(now);
    const store = await LedgerStore.open({ dir, ...quiet, clock, retentionDays: 30 });
    await store.append(makeRecord('ancient', 1, now - 31 * 86_400_000));
    await store.append(makeRecord('recent', 2, now - 29 * 86_400_000));
    await store.append(makeRecord('today', 3, now - 1000));
    const result = await store.compact();
    assert.equal(result.deletedByRetention, 1);
    assert.deepEqual(store.read((db) => db.exec('SELECT id FROM requests ORDER BY id')[0]!.values.flat()), ['recent', 'today']);
    assert.equal(store.read((db) => db.exec("SELECT count(*) FROM attempts WHERE request_id = 'ancient'")[0]!.values[0]![0]), 0);
    await store.close();
    const reopened = await LedgerStore.open({ dir, ...quiet, clock, retentionDays: 30 });
    assert.equal(reopened.count(), 2);
    await reopened.close();
  });

  it('takes over a lock left by a dead process', async () => {
    await appendFile(join(dir, 'ledger.lock'), JSON.stringify({ pid: 999_999, at: Date.now(), token: 'x' }));
    const store = await LedgerStore.open({ dir, ...quiet, lockTimeoutMs: 1000 });
    await store.append(makeRecord('r', 1));
    await store.close();
  });

  it('compacts in a worker thread: the file holds the old file and every journal, and a manifest says which bytes', async () => {
    const a = await LedgerStore.open({ dir, ...quiet });
    const b = await LedgerStore.open({ dir, ...quiet });
    await a.append(makeRecord('a1', 1));
    await a.compact();
    await a.append(makeRecord('a2', 2));
    await b.append(makeRecord('b1', 3)); // a has not read b's journal yet
    await a.compact();
    assert.equal(a.stats().workerCompactions, 2);
    assert.equal(a.stats().compactions, 2);
    assert.deepEqual(await idsInFile(dir), ['a1', 'a2', 'b1']);
    const manifest = (JSON.parse(await readFile(join(dir, MANIFEST_FILE), "utf8")) as { entries: { journals: Record<string, number> }[] }).entries.at(-1)!;
    const journals = (await readdir(dir)).filter((n) => n.startsWith('journal-'));
    assert.equal(journals.length, 2, "b's journal and a's segment of a2 are left; a's segment of a1 went at the second compaction");
    const bJournal = Object.keys(manifest.journals).find((name) => journals.includes(name) && manifest.journals[name]! > 0);
    assert.ok(bJournal, "the manifest names b's journal with the bytes merged");
    assert.equal(manifest.journals[bJournal], Buffer.byteLength(await readFile(join(dir, bJournal))));
    await a.close();
    await b.close();
  });

  it("does not reload the file after another process's compaction when every journal it merged can be read here", async () => {
    const a = await LedgerStore.open({ dir, ...quiet });
    const b = await LedgerStore.open({ dir, ...quiet });
    await a.append(makeRecord('r1', 1));
    await b.refresh(); // b reads r1 from a's journal
    await a.compact(); // the file now holds r1
    await b.refresh();
    assert.equal(b.stats().reloads, 0, 'nothing in the new file was unknown to b');
    assert.deepEqual(ids(b), ['r1']);
    await a.append(makeRecord('r2', 2));
    await a.compact(); // the file holds r2; its journal segment stays until a's next compaction
    await b.refresh();
    assert.equal(b.stats().reloads, 0, "b read r2 from a's retired segment");
    assert.deepEqual(ids(b), ['r1', 'r2']);
    await a.append(makeRecord('r3', 3));
    await a.compact();
    await a.compact(); // r3's segment is deleted before b read it: only the file has r3
    await b.refresh();
    assert.equal(b.stats().reloads, 1);
    assert.deepEqual(ids(b), ['r1', 'r2', 'r3']);
    await a.append(makeRecord('r4', 4));
    await b.refresh();
    await writeFile(join(dir, MANIFEST_FILE), '{"entries":[{"stamp":'); // torn manifest (a crash): b cannot trust it
    const c = await LedgerStore.open({ dir, ...quiet, compactInWorker: false });
    await c.compact(); // an in-thread compaction writes no manifest entry
    await b.refresh();
    assert.equal(b.stats().reloads, 2);
    assert.deepEqual(ids(b), ['r1', 'r2', 'r3', 'r4']);
    for (const store of [a, b, c]) await store.close();
  });

  it('keeps every view complete while stores append, compact and refresh in any order (400 random steps)', async function () {
    this.timeout(60_000);
    let seed = 20261123;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const stores = [
      await LedgerStore.open({ dir, ...quiet }),
      await LedgerStore.open({ dir, ...quiet }),
      await LedgerStore.open({ dir, ...quiet, compactInWorker: false }),
    ];
    const acked: string[] = [];
    let n = 0;
    for (let step = 0; step < 400; step += 1) {
      const i = Math.floor(random() * stores.length);
      const store = stores[i]!;
      const action = random();
      if (action < 0.5) {
        const id = `s${i}-${n}`;
        await store.append(makeRecord(id, n++));
        acked.push(id);
      } else if (action < 0.7) {
        await store.compact();
      } else {
        await store.refresh();
        // After a refresh a store holds every record acknowledged anywhere before it, each once.
        assert.deepEqual(ids(store), [...acked].sort(), `store ${i} after step ${step}`);
      }
    }
    const reloads = stores.map((s) => s.stats().reloads);
    const compactions = stores.map((s) => s.stats().compactions);
    console.log(`      ${acked.length} appends; compactions ${compactions.join('/')}; reloads ${reloads.join('/')}`);
    for (const store of stores) await store.close();
    assert.deepEqual(await idsInFile(dir), [...acked].sort());
    assert.ok(stores[0]!.stats().workerCompactions > 0 && stores[2]!.stats().workerCompactions === 0);
  });

  it('compacts on its own thread, telling the user once, when the worker ends without a reply', async () => {
    const notices: string[] = [];
    const store = await LedgerStore.open({
      dir,
      ...quiet,
      onNotice: (m) => notices.push(m),
      compactionWorkerScript: resolve(__dirname, '../ledger/failingWorker.ts'),
    });
    await store.append(makeRecord('r1', 1));
    await store.compact();
    await store.append(makeRecord('r2', 2));
    await store.compact();
    assert.equal(store.stats().compactions, 2);
    assert.equal(store.stats().workerCompactions, 0);
    assert.equal(notices.length, 1);
    assert.match(notices[0]!, /compacting in the background failed \(the compaction worker exited \(code 3\) without a reply\); the ledger is compacted on the editor's thread from now on/);
    assert.deepEqual(await idsInFile(dir), ['r1', 'r2']);
    assert.deepEqual((await readdir(dir)).filter((name) => name.includes('.tmp-')), [], 'no temp file left behind');
    await store.close();
  });

  it('moves a file corrupted while the ledger is open aside at the next compaction instead of overwriting it', async () => {
    const notices: string[] = [];
    const store = await LedgerStore.open({ dir, ...quiet, onNotice: (m) => notices.push(m) });
    await store.append(makeRecord('r1', 1));
    await store.compact();
    await store.compact(); // r1's journal segment is gone: r1 is only in the file
    await writeFile(join(dir, LEDGER_FILE), Buffer.alloc(8192, 7));
    await store.append(makeRecord('r2', 2));
    await store.compact();
    assert.equal(notices.length, 1);
    assert.match(notices[0]!, /The ledger file was corrupt .* moved aside to .*ledger\.sqlite\.corrupt-/);
    assert.equal((await readdir(dir)).filter((n) => n.includes('.corrupt-')).length, 1);
    assert.deepEqual(await idsInFile(dir), ['r2'], 'r1 was only in the corrupt file; r2 came from the journal');
    await store.close();
  });

  for (const compactInWorker of [true, false]) {
    it(`checks the file at open ${compactInWorker ? 'in a worker' : 'on its thread'}: a damaged page is moved aside and the ledger is rebuilt from the journals and the readable rest of the file`, async () => {
      const a = await LedgerStore.open({ dir, ...quiet });
      await a.appendMany(Array.from({ length: 300 }, (_, n) => makeRecord(`old-${n}`, n)));
      await a.compact();
      await a.compact(); // the old records' journal segment is gone: they are only in the file
      await a.append(makeRecord('in-journal', 1000));
      await damageInnerPage(dir);
      const notices: string[] = [];
      const b = await LedgerStore.open({ dir, ...quiet, compactInWorker, onNotice: (m) => notices.push(m) });
      if (compactInWorker) assert.ok(b.count() > 1, 'open loads the file as it is; the worker checks it after');
      else assert.equal(notices.length, 1, 'checked before open returns');
      await b.refresh(); // queued behind the check
      assert.equal(notices.length, 1, notices.join('\n'));
      assert.match(notices[0]!, /The ledger file was corrupt \(integrity check: .*\); moved aside to .*ledger\.sqlite\.corrupt-/);
      assert.equal((await readdir(dir)).filter((n) => n.includes('.corrupt-')).length, 1);
      const kept = ids(b);
      const rescued = kept.filter((id) => id.startsWith('old-'));
      assert.ok(kept.includes('in-journal'));
      assert.ok(rescued.length > 0 && rescued.length < 300, `some old requests were on the damaged page, the rest is kept (${rescued.length})`);
      const told = Number(/the (\d+) request\(s\) still readable in the damaged file/.exec(notices[0]!)?.[1]);
      assert.ok(told >= rescued.length && told <= kept.length, notices[0]);
      await b.close();
      await a.close();
    });
  }

  it('a page damaged while the ledger is open is found by the worker at the next compaction and moved aside, not copied; its readable requests are kept', async () => {
    const notices: string[] = [];
    const store = await LedgerStore.open({ dir, ...quiet, onNotice: (m) => notices.push(m) });
    await store.appendMany(Array.from({ length: 300 }, (_, n) => makeRecord(`old-${n}`, n)));
    await store.compact();
    await store.compact();
    await damageInnerPage(dir);
    await store.append(makeRecord('new', 1000));
    await store.compact();
    assert.equal(notices.length, 1, notices.join('\n'));
    assert.match(notices[0]!, /The ledger file was corrupt \(.*malformed.*\); moved aside/);
    assert.equal((await readdir(dir)).filter((n) => n.includes('.corrupt-')).length, 1);
    const inFile = await idsInFile(dir);
    const rescued = inFile.filter((id) => id.startsWith('old-')).length;
    assert.ok(inFile.includes('new'), 'the journal is in the new file');
    assert.ok(rescued > 0 && rescued < 300, `the requests on readable pages are kept (${rescued})`);
    assert.equal((await readdir(dir)).filter((n) => n.includes('.corrupt-')).length, 1);
    await store.close();
  });

  it('spaces background compactions by the size of the file they rewrite (compactBytesPerSecond)', async () => {
    const first = await LedgerStore.open({ dir, ...quiet });
    await first.appendMany(Array.from({ length: 300 }, (_, n) => makeRecord(`r${n}`, n)));
    await first.close();
    const bytes = (await stat(join(dir, LEDGER_FILE))).size;
    // A file of `bytes` at bytes/1.5 per second: 1.5 s between compactions, where compactIntervalMs alone is 20 ms.
    const store = await LedgerStore.open({ dir, compactIntervalMs: 20, refreshIntervalMs: 0, compactBytesPerSecond: bytes / 1.5 });
    const opened = Date.now();
    await store.append(makeRecord('new', 1000));
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(store.stats().compactions, 0, 'no compaction 400 ms after open');
    while (store.stats().compactions === 0 && Date.now() - opened < 10_000) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(store.stats().compactions, 1);
    assert.ok(Date.now() - opened >= 1_500, `compacted ${Date.now() - opened} ms after open`);
    await store.close();
  });
});
