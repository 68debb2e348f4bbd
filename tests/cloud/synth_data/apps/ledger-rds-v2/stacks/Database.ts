import { RDS, StackContext } from "sst/constructs";

export function Database({ stack }: StackContext) {
  const db = new RDS(stack, "Db", {
    engine: "postgresql13.9",
    defaultDatabaseName: "ledger",
    scaling: { autoPause: 10, minCapacity: "ACU_2", maxCapacity: "ACU_4" },
  });

  stack.addOutputs({
    ClusterArn: db.clusterArn,
    SecretArn: db.secretArn,
    DatabaseName: db.defaultDatabaseName,
    Host: db.clusterEndpoint.hostname,
  });

  return { db };
}
