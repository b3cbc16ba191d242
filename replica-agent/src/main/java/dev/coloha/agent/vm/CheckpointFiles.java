package dev.coloha.agent.vm;

import dev.coloha.agent.metrics.VmMetrics;
import dev.coloha.microvm.MicroVm;
import dev.coloha.microvm.checkpoint.Captured;
import dev.coloha.wire.CorruptStreamException;
import dev.coloha.wire.checkpoint.Checkpoint;
import dev.coloha.wire.checkpoint.CheckpointLimits;
import dev.coloha.wire.checkpoint.CheckpointReader;
import dev.coloha.wire.checkpoint.CheckpointWriter;
import dev.coloha.wire.frame.FrameInput;
import dev.coloha.wire.frame.FrameOutput;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Captures checkpoints to files and applies checkpoint files, under the agent's {@code checkpoints}
 * directory. A file is written to a temporary name and renamed when complete, and read and verified
 * whole before anything is applied.
 */
public final class CheckpointFiles {
  private final VmService vms;
  private final VmMetrics metrics;
  private final Path directory;
  private final CheckpointLimits limits;

  public CheckpointFiles(
      VmService vms, VmMetrics metrics, CheckpointLimits limits, VmSettings props) {
    this.vms = vms;
    this.metrics = metrics;
    this.directory = props.dataDir().resolve("checkpoints");
    this.limits = limits;
  }

  public CheckpointLimits limits() {
    return limits;
  }

  public CheckpointFileResult capture(String vmId, String file, boolean full) {
    Path path = resolve(file);
    long t0 = System.nanoTime();
    MicroVm vm = vms.vm(vmId);
    Captured captured = vm.capture(full);
    Checkpoint cp = captured.checkpoint();
    metrics.captured(vmId, captured.pauseNanos(), cp.pageCount());
    long bytes;
    try {
      Files.createDirectories(directory);
      Path tmp = Files.createTempFile(directory, file, ".part");
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
        bytes = new CheckpointWriter(limits.maxRunPages()).write(cp, new FrameOutput(out));
      }
      Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      vm.rollback(captured);
      throw new UncheckedIOException("cannot write checkpoint file " + file, e);
    } finally {
      captured.release();
    }
    return new CheckpointFileResult(
        vmId,
        file,
        cp.header().sequence(),
        cp.header().baseSequence(),
        cp.pageCount(),
        bytes,
        captured.pauseNanos() / 1e3,
        (System.nanoTime() - t0) / 1e3);
  }

  public CheckpointFileResult apply(String vmId, String file) {
    Path path = resolve(file);
    long t0 = System.nanoTime();
    MicroVm vm = vms.vm(vmId);
    Checkpoint cp;
    long bytes;
    try (InputStream in = new BufferedInputStream(Files.newInputStream(path), 1 << 16)) {
      FrameInput frames = new FrameInput(in, limits.maxFramePayload());
      cp = new CheckpointReader(limits).read(frames);
      bytes = frames.bytesRead();
      if (in.read() >= 0) {
        throw new CorruptStreamException(
            "checkpoint file " + file + " has bytes after its trailer");
      }
    } catch (NoSuchFileException e) {
      throw new CheckpointFileNotFoundException(file);
    } catch (EOFException e) {
      throw new CorruptStreamException(
          "checkpoint file " + file + " is truncated: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read checkpoint file " + file, e);
    }
    long pause = vm.apply(cp);
    metrics.applied(vmId, pause);
    return new CheckpointFileResult(
        vmId,
        file,
        cp.header().sequence(),
        cp.header().baseSequence(),
        cp.pageCount(),
        bytes,
        pause / 1e3,
        (System.nanoTime() - t0) / 1e3);
  }

  private Path resolve(String file) {
    if (!isPlainName(file)) {
      throw new IllegalArgumentException(
          "checkpoint file name '" + file + "' must be a plain name of [A-Za-z0-9._-], not a path");
    }
    return directory.resolve(file);
  }

  /** Whether {@code name} is a plain file name, never a path. */
  static boolean isPlainName(String name) {
    return name != null && name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,127}") && !name.contains("..");
  }
}
