import Packets
