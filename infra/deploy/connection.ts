import type { HostConfig } from "../../src/config";
import type { HostConnectionArgs } from "./host-deployment";
import { privateKeyOf } from "./keys";

/** How to reach `slipway:hosts[index]`: the connection inputs of every host command. */
export function connectionArgs(host: HostConfig, index: number): HostConnectionArgs {
  const where = `slipway:hosts[${index}]`;
  const bastion = host.proxy;
  const bastionKey = bastion === undefined ? undefined : privateKeyOf(bastion, `${where}.proxy`);
  const privateKey = host.transport === "ssh" ? privateKeyOf(host, where) : undefined;
  return {
    transport: host.transport,
    host: host.name,
    address: host.address,
    port: host.port,
    user: host.user,
    ...(privateKey === undefined ? {} : { privateKey }),
    ...(host.hostKey === undefined ? {} : { hostKey: host.hostKey }),
    ...(bastion === undefined
      ? {}
      : {
          bastionAddress: bastion.address,
          bastionPort: bastion.port,
          bastionUser: bastion.user,
          ...(bastionKey === undefined ? {} : { bastionPrivateKey: bastionKey }),
          ...(bastion.hostKey === undefined ? {} : { bastionHostKey: bastion.hostKey }),
        }),
  };
}
