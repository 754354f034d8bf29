/** A compaction worker that ends without a reply, for the test of the store's fallback (ledgerStore.test.ts). */
process.exit(3);
