-- The coordinator's store as it was created inline before migrations (JdbcCoordinatorStore up to
-- 0.1.0): a store made then is baselined at this version (spring.flyway.baseline-on-migrate) and
-- this script is not run on it.
-- Records are kept as JSON next to the columns queries need.
create table if not exists colo_group (
  id varchar(64) primary key,
  epoch bigint not null,
  state varchar(32) not null,
  body clob not null
);

create table if not exists colo_host (
  name varchar(64) primary key,
  body clob not null
);

-- the groups' history, oldest first; trimmed now and then to the newest the coordinator keeps
create table if not exists colo_event (
  id bigint auto_increment primary key,
  body clob not null
);
