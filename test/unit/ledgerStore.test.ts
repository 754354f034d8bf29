import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJournalChunk } from '../../src/core/ledger/journal';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/core/ledger/schema';
import { LEDGER_FILE, LedgerStore } from '../../src/core/ledger/store';
import { FakeClock } from '../../src/core/routing/clock';
import { makeRecord } from '../ledger/records';

const quiet = { compactIntervalMs: 0, refreshIntervalMs: 0 };

describe('ledger: store', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ledger-store-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
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
    await store.append(makeRecord('journal-only', 2));
    // Simulate a crash: the journal stays; then the file gets corrupted.
    await writeFile(join(dir, LEDGER_FILE), 'this is not a SQLite database at all, just some text padding'.repeat(100));
    const notices: string[] = [];
    const reopened = await LedgerStore.open({ dir, ...quiet, clock, onNotice: (m) => notices.push(m) });
    const aside = `${LEDGER_FILE}.corrupt-2026-11-23T10-20-30.000Z`;
    assert.ok((await readdir(dir)).includes(aside), 'moved aside with a timestamp');
    assert.equal(notices.length, 1);
    assert.match(notices[0]!, /ledger file was corrupt .*moved aside to .*corrupt-2026-11-23T10-20-30\.000Z.*started from the journals/);
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
});
