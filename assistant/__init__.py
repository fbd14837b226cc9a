"""Question side of gongkai: store, retrieval, facts answers, citations."""
