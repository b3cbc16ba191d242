package dev.coloha.agent.vm;

import dev.coloha.agent.standalone.StandaloneListener;
import dev.coloha.agent.stream.VmStreams;
import dev.coloha.api.agent.VmState;
import dev.coloha.microvm.MicroVm;
import dev.coloha.microvm.VmStats;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One VM as the agent manages it: its spec, the running micro-VM (replaced when a stopped VM is
 * started again from its disk), its disk image and its standalone listener. Lifecycle operations
 * synchronise on the handle.
 */
final class VmHandle {
  private volatile VmSpec spec;
  private final Path diskImage;
  private volatile MicroVm vm;
  private volatile StandaloneListener listener;
  private volatile VmStats lastStats;
  private volatile VmStreams streams;
  private final AtomicLong epoch = new AtomicLong();
  private String listenAddress;
  private int listenPort;

  VmHandle(VmSpec spec, Path diskImage, MicroVm vm) {
    this.spec = spec;
    this.diskImage = diskImage;
    this.vm = vm;
  }

  VmSpec spec() {
    return spec;
  }

  void spec(VmSpec spec) {
    this.spec = spec;
  }

  Path diskImage() {
    return diskImage;
  }

  MicroVm vm() {
    return vm;
  }

  void vm(MicroVm vm) {
    this.vm = vm;
  }

  StandaloneListener listener() {
    return listener;
  }

  void listener(StandaloneListener listener, String address, int port) {
    this.listener = listener;
    this.listenAddress = address;
    this.listenPort = port;
  }

  String listenAddress() {
    return listenAddress;
  }

  int listenPort() {
    return listenPort;
  }

  AtomicLong epoch() {
    return epoch;
  }

  VmStreams streams() {
    return streams;
  }

  void streams(VmStreams streams) {
    this.streams = streams;
  }

  VmStats lastStats() {
    return lastStats;
  }

  /** Fresh figures from the VM (an event-boundary round trip), cached for metrics. */
  VmStats refreshStats() {
    VmStats s = vm.stats();
    lastStats = s;
    return s;
  }

  boolean stopped() {
    return vm.state() == VmState.STOPPED;
  }
}
