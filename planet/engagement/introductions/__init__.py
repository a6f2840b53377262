"""Self-introductions and the member directory (自我介绍, 成员名录)."""
