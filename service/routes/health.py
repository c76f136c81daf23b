from __future__ import annotations

from fastapi import APIRouter

from service.deps import CollectionDep
from service.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, summary="Liveness and what is being served")
def health(collection: CollectionDep) -> Health:
    snapshot = collection.snapshot()
    return Health(
        status="ok",
        version=snapshot.version,
        documents=len(snapshot.manifest.documents),
        chunks=snapshot.manifest.chunks,
        model=collection.embedder.model_id,
    )
