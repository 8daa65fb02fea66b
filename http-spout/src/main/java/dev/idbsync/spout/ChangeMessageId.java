package dev.idbsync.spout;

/** Storm's message id for one change: its push and its index there. Stays in the spout's task. */
record ChangeMessageId(PendingPush push, int index) {
    @Override
    public String toString() {
        return "push " + push.id + " change " + index;
    }
}
