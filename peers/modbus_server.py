"""A Modbus TCP server from pymodbus (nobody here wrote it), for the
modbus-tcp profile's tests.

    python3 peers/modbus_server.py PORT

Listens on 127.0.0.1:PORT until killed. Its holding registers start at
address 0 with 17, 42, 7, 9, then zeros, sixteen in all: reading two from
address 0 answers 00 11 00 2a, and reading from address 0x0100 answers
exception 2 (illegal data address).

Written for pymodbus 3.16 (ModbusDeviceContext, devices=), and still runs
on older 3.x releases (ModbusSlaveContext, slaves=), such as Debian's.
"""

import logging
import sys

HOLDING = [17, 42, 7, 9] + [0] * 12


def context():
    from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext

    # The device context maps protocol address N to block address N + 1,
    # so the block starts at 1 for the first register to be address 0.
    # (pymodbus 3.16 also refuses a block at address 0.)
    registers = ModbusSequentialDataBlock(1, list(HOLDING))
    try:
        from pymodbus.datastore import ModbusDeviceContext

        return ModbusServerContext(devices=ModbusDeviceContext(hr=registers), single=True)
    except ImportError:
        from pymodbus.datastore import ModbusSlaveContext

        return ModbusServerContext(slaves=ModbusSlaveContext(hr=registers), single=True)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: modbus_server.py PORT")
    port = int(sys.argv[1])
    # pymodbus 3.16 warns that these contexts go in v4, and older 3.x
    # logs each client that hangs up as an error: neither is news here. A
    # failure to start still raises, with its traceback.
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    try:
        from pymodbus.server import StartTcpServer
    except ImportError as error:
        sys.exit(
            f"pymodbus cannot be imported ({error}): install it with "
            "`python3 -m pip install pymodbus` (Debian: `apt-get install python3-pymodbus`)"
        )

    print(f"serving Modbus TCP on 127.0.0.1:{port}", file=sys.stderr, flush=True)
    StartTcpServer(context=context(), address=("127.0.0.1", port))


if __name__ == "__main__":
    main()
