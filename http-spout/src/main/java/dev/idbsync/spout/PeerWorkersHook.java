package dev.idbsync.spout;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.storm.generated.NodeInfo;
import org.apache.storm.hooks.IWorkerHook;
import org.apache.storm.task.WorkerUserContext;

/**
 * Hands the spout tasks of a worker the list of the topology's other workers (for
 * {@link PeerWorkers}). Storm gives the worker's assignment (task to host and port, kept current
 * by the worker) only to worker hooks, not to a spout's {@code TopologyContext}; the hook puts a
 * view of it in the worker's shared resources, which each task reads with
 * {@code TopologyContext.getResource}. Registered by SyncTopology.
 */
public final class PeerWorkersHook implements IWorkerHook {
    private static final long serialVersionUID = 1L;
    /** The shared resource: a {@code Supplier<Map<PeerWorkers.Address, Set<Integer>>>} (each other worker's tasks). */
    static final String RESOURCE = "idbsync.peerWorkers";

    @Override
    public void start(Map<String, Object> topoConf, WorkerUserContext context) {
        AtomicReference<Map<Integer, NodeInfo>> taskToNodePort = context.getTaskToNodePort();
        AtomicReference<Map<String, String>> nodeToHost = context.getNodeToHost();
        String self = context.getAssignmentId();
        int selfPort = context.getThisWorkerPort();
        Supplier<Map<PeerWorkers.Address, Set<Integer>>> others = () -> PeerWorkers.others(
                taskToNodePort == null ? null : taskToNodePort.get(), nodeToHost == null ? null : nodeToHost.get(), self, selfPort);
        context.setResource(RESOURCE, others);
    }

    @Override
    public void shutdown() {
    }
}
