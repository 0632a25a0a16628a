from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        # The schema says page_size is an integer: refuse anything else rather than silently use 50.
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None and not (raw.isascii() and raw.isdigit()):
            raise exceptions.ValidationError({self.page_size_query_param: [_("请输入整数。")]})
        return super().get_page_size(request)
