// The head of the audit hash chain (R14): one node, locked by every append.
MERGE (h:AuditChain {id: 'main'})
  ON CREATE SET h.seq = 0, h.lastHash = '0000000000000000000000000000000000000000000000000000000000000000';
