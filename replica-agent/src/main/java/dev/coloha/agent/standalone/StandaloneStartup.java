package dev.coloha.agent.standalone;

import dev.coloha.agent.config.AgentProperties;
import dev.coloha.agent.vm.CreateVm;
import dev.coloha.agent.vm.VmService;
import dev.coloha.api.agent.VmView;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.stereotype.Component;

/**
 * When {@code colo.agent.standalone.guest} is set, creates and starts that VM at start-up and
 * serves it on the standalone port ({@code ./colo standalone}).
 */
@Component
public class StandaloneStartup implements ApplicationRunner {
  private static final Logger log = LoggerFactory.getLogger(StandaloneStartup.class);

  private final AgentProperties props;
  private final VmService vms;
  private final WebServerApplicationContext context;

  public StandaloneStartup(
      AgentProperties props, VmService vms, WebServerApplicationContext context) {
    this.props = props;
    this.vms = vms;
    this.context = context;
  }

  @Override
  public void run(ApplicationArguments args) {
    var s = props.standalone();
    if (s.guest() == null || s.guest().isBlank()) {
      return;
    }
    vms.create(new CreateVm(s.vmId(), s.guest(), s.memory().toBytes(), s.disk().toBytes(), true));
    VmView view = vms.listen(s.vmId(), s.bindAddress(), s.port());
    int apiPort = context.getWebServer().getPort();
    log.info(
        "COLO-STANDALONE-READY guest={} vm={} listen={} api=http://127.0.0.1:{}",
        s.guest(),
        s.vmId(),
        view.listener(),
        apiPort);
  }
}
