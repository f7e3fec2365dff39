from qunkpi.workspace.workspace import Workspace

__all__ = ["Workspace"]
