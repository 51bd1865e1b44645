"""The front desk's models, moved from orders: state only, the tables keep their names
(Meta.db_table), so no row moves; their content types (and so their permissions) follow.
"""
import django.core.validators
import django.db.models.deletion
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


MOVED = ["booking", "bookingchange", "flowcard", "gown", "outdoorlocation", "performancecredit",
         "productionitem", "rework", "schedulesettings", "walkout"]


def _move_content_types(source: str, target: str):
    def run(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        db = schema_editor.connection.alias
        # Their permissions follow them: "orders.add_booking" becomes "frontdesk.add_booking".
        ContentType.objects.using(db).filter(app_label=target, model__in=MOVED).delete()
        ContentType.objects.using(db).filter(app_label=source, model__in=MOVED).update(
            app_label=target)
    return run


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('customers', '0004_search_indexes'),
        ('orders', '0013_payment_store'),
        ('staff', '0002_monthlytarget'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
                migrations.CreateModel(
                    name='Booking',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                        ('starts_at', models.DateTimeField(db_index=True, verbose_name='开始时间')),
                        ('ends_at', models.DateTimeField(verbose_name='结束时间')),
                        ('requested_by_customer', models.BooleanField(default=False, verbose_name='客户指定人员')),
                        ('status', models.CharField(choices=[('booked', '已预约'), ('done', '已完成'), ('cancelled', '已取消')], default='booked', max_length=16, verbose_name='状态')),
                        ('note', models.CharField(blank=True, max_length=200, verbose_name='备注')),
                        ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='预约人')),
                        ('makeup_artist', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='makeup_bookings', to=settings.AUTH_USER_MODEL, verbose_name='化妆师')),
                        ('photographer', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='photographer_bookings', to=settings.AUTH_USER_MODEL, verbose_name='摄影师')),
                        ('stage', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='booking', to='orders.orderstage', verbose_name='服务阶段')),
                        ('store', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='bookings', to='staff.store', verbose_name='门店')),
                    ],
                    options={
                        'verbose_name': '档期',
                        'verbose_name_plural': '档期',
                        'db_table': 'orders_booking',
                        'ordering': ['starts_at'],
                    },
                ),
                migrations.CreateModel(
                    name='BookingChange',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('before_starts_at', models.DateTimeField(blank=True, null=True, verbose_name='原时间')),
                        ('after_starts_at', models.DateTimeField(verbose_name='新时间')),
                        ('note', models.CharField(blank=True, max_length=200, verbose_name='说明')),
                        ('at', models.DateTimeField(auto_now_add=True, verbose_name='时间')),
                        ('booking', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='changes', to='frontdesk.booking', verbose_name='档期')),
                        ('by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='操作人')),
                    ],
                    options={
                        'verbose_name': '档期变更',
                        'verbose_name_plural': '档期变更',
                        'db_table': 'orders_bookingchange',
                        'ordering': ['at', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='FlowCard',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('on', models.DateField(db_index=True, verbose_name='日期')),
                        ('amount', models.DecimalField(decimal_places=2, max_digits=12, verbose_name='计业绩金额')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='登记时间')),
                        ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='登记人')),
                        ('makeup_artist', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='化妆师')),
                        ('order', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='flow_cards', to='orders.order', verbose_name='订单')),
                        ('photographer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='摄影师')),
                        ('stage', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='flow_card', to='orders.orderstage', verbose_name='拍摄')),
                        ('store', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='flow_cards', to='staff.store', verbose_name='门店')),
                    ],
                    options={
                        'verbose_name': '流程卡',
                        'verbose_name_plural': '流程卡',
                        'db_table': 'orders_flowcard',
                        'ordering': ['-on', '-pk'],
                    },
                ),
                migrations.CreateModel(
                    name='Gown',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.CharField(max_length=20, verbose_name='编号')),
                        ('style', models.CharField(max_length=64, verbose_name='款式')),
                        ('size', models.CharField(blank=True, max_length=16, verbose_name='尺码')),
                        ('colour', models.CharField(blank=True, max_length=16, verbose_name='颜色')),
                        ('photo', models.FileField(blank=True, upload_to='gowns/', verbose_name='照片')),
                        ('addon_price', models.DecimalField(decimal_places=2, default=Decimal('0.00'), max_digits=10, validators=[django.core.validators.MinValueValidator(Decimal('0.00'))], verbose_name='加选价格（元）')),
                        ('condition', models.CharField(choices=[('good', '完好'), ('repair', '维修中'), ('retired', '已停用')], default='good', max_length=16, verbose_name='状况')),
                        ('packages', models.ManyToManyField(blank=True, related_name='gowns', to='orders.package', verbose_name='包含在套系')),
                        ('store', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='gowns', to='staff.store', verbose_name='门店')),
                    ],
                    options={
                        'verbose_name': '礼服',
                        'verbose_name_plural': '礼服',
                        'db_table': 'orders_gown',
                        'ordering': ['store', 'code'],
                    },
                ),
                migrations.AddField(
                    model_name='booking',
                    name='gowns',
                    field=models.ManyToManyField(blank=True, related_name='bookings', to='frontdesk.gown', verbose_name='礼服'),
                ),
                migrations.CreateModel(
                    name='OutdoorLocation',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=64, verbose_name='外景点')),
                        ('address', models.CharField(blank=True, max_length=200, verbose_name='地址')),
                        ('daily_capacity', models.PositiveSmallIntegerField(default=4, verbose_name='每日可拍组数')),
                        ('is_active', models.BooleanField(default=True, verbose_name='启用')),
                        ('store', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='outdoor_locations', to='staff.store', verbose_name='门店')),
                    ],
                    options={
                        'verbose_name': '外景点',
                        'verbose_name_plural': '外景点',
                        'db_table': 'orders_outdoorlocation',
                        'ordering': ['store', 'name'],
                    },
                ),
                migrations.AddField(
                    model_name='booking',
                    name='location',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='bookings', to='frontdesk.outdoorlocation', verbose_name='外景点'),
                ),
                migrations.CreateModel(
                    name='PerformanceCredit',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('role', models.CharField(max_length=32, verbose_name='角色')),
                        ('amount', models.DecimalField(decimal_places=2, max_digits=12, verbose_name='业绩（元）')),
                        ('on', models.DateField(db_index=True, verbose_name='日期')),
                        ('flow_card', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='credits', to='frontdesk.flowcard', verbose_name='流程卡')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='performance_credits', to=settings.AUTH_USER_MODEL, verbose_name='员工')),
                    ],
                    options={
                        'verbose_name': '业绩记录',
                        'verbose_name_plural': '业绩记录',
                        'db_table': 'orders_performancecredit',
                        'ordering': ['-on', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='ProductionItem',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                        ('kind', models.CharField(choices=[('album', '相册'), ('frame', '相框/摆台'), ('files', '电子档'), ('other', '其他')], max_length=16, verbose_name='产品')),
                        ('description', models.CharField(blank=True, max_length=200, verbose_name='说明')),
                        ('quantity', models.PositiveSmallIntegerField(default=1, verbose_name='数量')),
                        ('status', models.CharField(choices=[('pending', '待送厂'), ('sent', '制作中'), ('arrived', '已到店'), ('qc_passed', '质检合格'), ('qc_failed', '质检不合格'), ('picked_up', '已取件')], db_index=True, default='pending', max_length=16, verbose_name='状态')),
                        ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='送厂时间')),
                        ('due_on', models.DateField(blank=True, null=True, verbose_name='预计到店')),
                        ('arrived_at', models.DateTimeField(blank=True, null=True, verbose_name='到店时间')),
                        ('qc_count', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='质检数量')),
                        ('qc_note', models.CharField(blank=True, max_length=200, verbose_name='质检说明')),
                        ('qc_at', models.DateTimeField(blank=True, null=True, verbose_name='质检时间')),
                        ('picked_up_at', models.DateTimeField(blank=True, null=True, verbose_name='取件时间')),
                        ('picked_up_by', models.CharField(blank=True, max_length=64, verbose_name='取件人')),
                        ('order', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='production_items', to='orders.order', verbose_name='订单')),
                        ('qc_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='质检人')),
                    ],
                    options={
                        'verbose_name': '制作产品',
                        'verbose_name_plural': '制作产品',
                        'db_table': 'orders_productionitem',
                        'ordering': ['order', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='Rework',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                        ('reason', models.TextField(verbose_name='返工原因')),
                        ('items', models.CharField(max_length=200, verbose_name='返工内容')),
                        ('status', models.CharField(choices=[('requested', '待店长审批'), ('approved', '返工中'), ('rejected', '未批准'), ('done', '已完成')], default='requested', max_length=16, verbose_name='状态')),
                        ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='审批时间')),
                        ('decision_note', models.CharField(blank=True, max_length=200, verbose_name='审批意见')),
                        ('done_at', models.DateTimeField(blank=True, null=True, verbose_name='完成时间')),
                        ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='审批店长')),
                        ('order', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='reworks', to='orders.order', verbose_name='订单')),
                        ('requested_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='申请人')),
                    ],
                    options={
                        'verbose_name': '返工记录',
                        'verbose_name_plural': '返工记录',
                        'db_table': 'orders_rework',
                        'ordering': ['-created_at'],
                        'permissions': [('approve_rework', '审批返工')],
                    },
                ),
                migrations.CreateModel(
                    name='ScheduleSettings',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('daily_shoot_capacity', models.PositiveSmallIntegerField(default=8, verbose_name='每日拍摄档期数')),
                        ('photographer_share', models.DecimalField(decimal_places=2, default=Decimal('60.00'), max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0.00'))], verbose_name='摄影师业绩比例(%)')),
                        ('makeup_share', models.DecimalField(decimal_places=2, default=Decimal('40.00'), max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0.00'))], verbose_name='化妆师业绩比例(%)')),
                        ('store', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='schedule_settings', to='staff.store', verbose_name='门店')),
                    ],
                    options={
                        'verbose_name': '档期与业绩规则',
                        'verbose_name_plural': '档期与业绩规则',
                        'db_table': 'orders_schedulesettings',
                    },
                ),
                migrations.CreateModel(
                    name='WalkOut',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                        ('visited_at', models.DateTimeField(db_index=True, verbose_name='到店时间')),
                        ('reason', models.CharField(choices=[('price', '价格'), ('style', '风格/样片'), ('schedule', '档期'), ('comparing', '还在比较'), ('service', '接待服务'), ('other', '其他')], max_length=16, verbose_name='流失原因')),
                        ('reason_note', models.CharField(blank=True, max_length=200, verbose_name='说明')),
                        ('status', models.CharField(choices=[('following', '跟进中'), ('converted', '已成交'), ('lost', '已流失')], default='following', max_length=16, verbose_name='状态')),
                        ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='结束时间')),
                        ('consultant', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='接待门市')),
                        ('converted_order', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='orders.order', verbose_name='成交订单')),
                        ('customer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='walkouts', to='customers.customer', verbose_name='客户')),
                        ('store', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='walkouts', to='staff.store', verbose_name='门店')),
                    ],
                    options={
                        'verbose_name': '走单',
                        'verbose_name_plural': '走单',
                        'db_table': 'orders_walkout',
                        'ordering': ['-visited_at'],
                    },
                ),
                migrations.AddConstraint(
                    model_name='gown',
                    constraint=models.UniqueConstraint(fields=('store', 'code'), name='gown_code_unique_per_store'),
                ),
                migrations.AddConstraint(
                    model_name='outdoorlocation',
                    constraint=models.UniqueConstraint(fields=('store', 'name'), name='location_name_unique_per_store'),
                ),
                migrations.AddIndex(
                    model_name='booking',
                    index=models.Index(fields=['store', 'starts_at'], name='orders_book_store_i_3d1646_idx'),
                ),
                migrations.AddConstraint(
                    model_name='booking',
                    constraint=models.CheckConstraint(condition=models.Q(('ends_at__gt', models.F('starts_at'))), name='booking_ends_after_start'),
                ),
                migrations.AddIndex(
                    model_name='performancecredit',
                    index=models.Index(fields=['user', 'on'], name='orders_perf_user_id_ca1010_idx'),
                ),
                migrations.AddConstraint(
                    model_name='schedulesettings',
                    constraint=models.CheckConstraint(condition=models.Q(('makeup_share__lte', 100), ('photographer_share__lte', 100)), name='shares_at_most_100'),
                ),
                migrations.AddIndex(
                    model_name='walkout',
                    index=models.Index(fields=['store', 'visited_at'], name='orders_walk_store_i_0edf27_idx'),
                ),
        ]),
        migrations.RunPython(_move_content_types("orders", "frontdesk"),
                             _move_content_types("frontdesk", "orders")),
    ]
