package dev.cnnc.spark;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * Sums a float array across the W tasks of a Spark barrier stage, every task ending with the
 * same bits: a ring (reduce-scatter, then all-gather) over direct TCP connections between the
 * tasks, each sending 2(W-1)/W of the array a step whatever W is. The tasks find each other
 * through the barrier's allGather once a stage; a peer that dies closes its sockets and the read
 * here fails at once (a silent peer times out), which fails the task and makes Spark retry the stage.
 */
final class RingAllReduce implements AutoCloseable {
    private final int rank;
    private final int size;
    private final ServerSocket server;
    private Socket toNext;
    private Socket fromPrevious;
    private DataOutputStream out;
    private DataInputStream in;
    private final ExecutorService sender;
    private byte[] sendBytes = new byte[0];
    private byte[] receiveBytes = new byte[0];
    private long nanos;

    /**
     * Opens this task's listening socket on {@code host}; {@link #connect} then joins the ring with
     * the addresses every task published.
     */
    RingAllReduce(int rank, int size, String host) throws IOException {
        this.rank = rank;
        this.size = size;
        this.server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getByName(host), 0));
        this.sender = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "cnnc-allreduce-send");
            t.setDaemon(true);
            return t;
        });
    }

    /** host:port where this task listens. */
    String address() {
        return server.getInetAddress().getHostAddress() + ":" + server.getLocalPort();
    }

    /**
     * Connects to the next task in the ring and accepts the previous one; {@code exchange} publishes
     * this task's address and returns every task's, in rank order (the barrier's allGather).
     */
    void connect(Function<String, String[]> exchange, int timeoutMillis) throws IOException {
        String[] all = exchange.apply(address());
        if (size == 1) {
            return;
        }
        String next = all[(rank + 1) % size];
        int colon = next.lastIndexOf(':');
        server.setSoTimeout(timeoutMillis);
        Future<Socket> accepted = sender.submit(server::accept);
        toNext = new Socket();
        toNext.connect(new InetSocketAddress(next.substring(0, colon), Integer.parseInt(next.substring(colon + 1))), timeoutMillis);
        toNext.setTcpNoDelay(true);
        try {
            fromPrevious = accepted.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for worker " + (rank + size - 1) % size + " to connect");
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException("worker " + (rank + size - 1) % size + " did not connect: " + e.getCause().getMessage(), e.getCause());
        }
        fromPrevious.setSoTimeout(timeoutMillis);
        fromPrevious.setTcpNoDelay(true);
        out = new DataOutputStream(new BufferedOutputStream(toNext.getOutputStream(), 1 << 16));
        in = new DataInputStream(new BufferedInputStream(fromPrevious.getInputStream(), 1 << 16));
    }

    /** Replaces {@code values} by their sum over all tasks; every task gets the same bits. */
    void sum(float[] values) throws IOException {
        if (size == 1) {
            return;
        }
        long start = System.nanoTime();
        // reduce-scatter: after W-1 steps this task holds the whole sum of chunk rank+1
        for (int s = 0; s < size - 1; s++) {
            int send = Math.floorMod(rank - s, size);
            int receive = Math.floorMod(rank - s - 1, size);
            exchange(values, send, receive, true);
        }
        // all-gather: pass the summed chunks round the ring, copied, not added
        for (int s = 0; s < size - 1; s++) {
            int send = Math.floorMod(rank + 1 - s, size);
            int receive = Math.floorMod(rank - s, size);
            exchange(values, send, receive, false);
        }
        nanos += System.nanoTime() - start;
    }

    /** Time spent in {@link #sum} so far. */
    long nanos() {
        return nanos;
    }

    private int chunkStart(int chunk, int length) {
        return (int) ((long) length * chunk / size);
    }

    private void exchange(float[] values, int sendChunk, int receiveChunk, boolean add) throws IOException {
        int sendFrom = chunkStart(sendChunk, values.length);
        int sendLength = chunkStart(sendChunk + 1, values.length) - sendFrom;
        int receiveFrom = chunkStart(receiveChunk, values.length);
        int receiveLength = chunkStart(receiveChunk + 1, values.length) - receiveFrom;
        if (sendBytes.length < 4 * sendLength) {
            sendBytes = new byte[4 * sendLength];
        }
        ByteBuffer.wrap(sendBytes).asFloatBuffer().put(values, sendFrom, sendLength);
        byte[] outgoing = sendBytes;
        // sending on another thread: both directions move at once, and a chunk larger than the socket buffers cannot deadlock
        Future<?> sent = sender.submit(() -> {
            out.write(outgoing, 0, 4 * sendLength);
            out.flush();
            return null;
        });
        if (receiveBytes.length < 4 * receiveLength) {
            receiveBytes = new byte[4 * receiveLength];
        }
        in.readFully(receiveBytes, 0, 4 * receiveLength);
        java.nio.FloatBuffer incoming = ByteBuffer.wrap(receiveBytes, 0, 4 * receiveLength).asFloatBuffer();
        if (add) {
            for (int i = 0; i < receiveLength; i++) {
                values[receiveFrom + i] += incoming.get(i);
            }
        } else {
            incoming.get(values, receiveFrom, receiveLength);
        }
        try {
            sent.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while sending to worker " + (rank + 1) % size);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException("cannot send to worker " + (rank + 1) % size + ": " + e.getCause().getMessage(), e.getCause());
        }
    }

    @Override
    public void close() {
        sender.shutdownNow();
        for (AutoCloseable c : new AutoCloseable[] {out, in, toNext, fromPrevious, server}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // closing a ring that broke: nothing more to report than what broke it
                }
            }
        }
    }
}
